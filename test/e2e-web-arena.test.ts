/**
 * The arena in real Chromium against a real server with two generated models (embedded engine): both
 * answers stream at once, side by side, with their reasoning; no model is named before the vote; the
 * vote reveals them; the admin leaderboard counts each vote. Random weights: assertions are about
 * structure, never the text.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ARENA_MODELS, type ArenaTestServer, startArenaServer } from './arena-helpers.ts';
import {
  ensureWebBuild,
  launchChromium,
  openWatchedPage,
  type PageWatch,
  SCREENSHOTS,
  skipWithoutChromium,
} from './xss-browser.ts';

const T = 30_000;
const MODEL_NAMES = new RegExp(ARENA_MODELS.join('|'));

/** Asks a question on /arena and waits until both sides have text while both still stream. */
async function ask(page: Page, question: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Your question' }).fill(question);
  await page.getByRole('button', { name: 'Ask both' }).click();
  await page.waitForURL(/\/arena\/[^/]+$/);
}

/** Both answers done and the vote open. */
async function votable(page: Page): Promise<void> {
  try {
    await page
      .getByRole('button', { name: 'A is better' })
      .and(page.locator(':enabled'))
      .waitFor({ timeout: 90_000 });
  } catch (err) {
    await page
      .screenshot({ path: join(SCREENSHOTS, 'arena-not-votable.png'), fullPage: true })
      .catch(() => {});
    throw err;
  }
}

async function leaderboardVotes(page: Page, baseUrl: string): Promise<Record<string, string>> {
  await page.goto(`${baseUrl}/admin`);
  const board = page.locator('.arena-leaderboard');
  await board.locator('tbody tr').first().waitFor();
  const out: Record<string, string> = {};
  for (const row of await board.locator('tbody tr').all()) {
    const model = (await row.getAttribute('data-model')) ?? '';
    out[model] = ((await row.locator('.arena-votes').textContent()) ?? '').trim();
  }
  return out;
}

describe('the arena in Chromium', { skip: skipWithoutChromium, timeout: 300_000 }, () => {
  let server: ArenaTestServer;
  let browser: Browser;
  let page: Page;
  const watch: PageWatch = { foreign: [], pageErrors: [], dialogs: [] };

  before(async () => {
    await ensureWebBuild();
    // Long answers (end-of-generation banned), so both are seen streaming at the same time; 24 tokens
    // of thinking, then text.
    server = await startArenaServer({ maxTokens: 320, maxThinkingBudget: 24 });
    const { cookie } = await server.signup('arena-admin@example.com'); // first user: admin
    browser = await launchChromium();
    const opened = await openWatchedPage(browser, server.baseUrl, watch, { timeoutMs: T, height: 900 });
    page = opened.page;
    const [name, value] = cookie.split(';')[0]?.split('=') ?? [];
    await opened.context.addCookies([{ name: name ?? '', value: value ?? '', url: server.baseUrl }]);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('the nav leads to the arena; two anonymous answers stream side by side at the same time', async () => {
    await page.goto(server.baseUrl);
    await page.getByRole('button', { name: 'Arena', exact: true }).click();
    await page.waitForURL(/\/arena$/);
    await ask(page, 'Which is larger, 9.11 or 9.9? Explain.');
    const sideA = page.getByRole('region', { name: 'Model A' });
    const sideB = page.getByRole('region', { name: 'Model B' });
    // At one moment both columns show streamed text and both still offer Stop: two live streams.
    await page.waitForFunction(
      () => {
        const sides = [...document.querySelectorAll('.arena-side')];
        return (
          sides.length === 2 &&
          sides.every(
            (s) =>
              s.querySelector('.arena-stop') &&
              (s.querySelector('.reasoning, .arena-answer')?.textContent ?? '').length > 0,
          )
        );
      },
      undefined,
      { timeout: 60_000, polling: 50 },
    );
    await page.screenshot({ path: join(SCREENSHOTS, 'arena-streaming.png') });
    // The reasoning panel of the chat, live while it thinks.
    assert.ok((await sideA.locator('.reasoning').count()) + (await sideB.locator('.reasoning').count()) > 0);
    assert.doesNotMatch(await page.content(), MODEL_NAMES);
    assert.doesNotMatch(page.url(), MODEL_NAMES);

    await votable(page);
    assert.equal(await sideA.locator('.arena-answer').count(), 1);
    assert.equal(await sideB.locator('.arena-answer').count(), 1);
    // Finished and still anonymous.
    assert.doesNotMatch(await page.content(), MODEL_NAMES);
  });

  test('the vote reveals which model was which', async () => {
    await page.getByRole('button', { name: 'A is better' }).click();
    const reveal = page.locator('.arena-reveal');
    await reveal.waitFor();
    const text = (await reveal.textContent()) ?? '';
    const match = /Model A was (\S+); model B was (\S+)\./.exec(text);
    assert.ok(match, text);
    assert.deepEqual([match[1], match[2]].sort(), [...ARENA_MODELS].sort());
    assert.match(
      (await page.getByRole('region', { name: 'Model A' }).locator('.arena-model').textContent()) ?? '',
      new RegExp(match[1] ?? '-'),
    );
    assert.equal(await page.getByRole('button', { name: 'B is better' }).count(), 0);
    await page.locator('.arena-reveal').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOTS, 'arena.png') });
  });

  test('the admin leaderboard shows the vote, and the next battle updates it', async () => {
    const first = await leaderboardVotes(page, server.baseUrl);
    assert.deepEqual(first, { [ARENA_MODELS[0]]: '1', [ARENA_MODELS[1]]: '1' });
    await page.locator('.arena-leaderboard').screenshot({ path: join(SCREENSHOTS, 'arena-leaderboard.png') });

    await page.goto(`${server.baseUrl}/arena`);
    await ask(page, 'Name a prime number.');
    await votable(page);
    await page.getByRole('button', { name: 'Tie' }).click();
    await page.locator('.arena-reveal').waitFor();
    const second = await leaderboardVotes(page, server.baseUrl);
    assert.deepEqual(second, { [ARENA_MODELS[0]]: '2', [ARENA_MODELS[1]]: '2' });
    assert.deepEqual(watch, { foreign: [], pageErrors: [], dialogs: [] });
  });
});
