/**
 * Cut-off answers and thinking that goes on, end to end in real Chromium against a real server on the
 * generated tiny model: a cut-off answer is marked and Continue extends the same message; "Answer now"
 * ends the reasoning and an answer follows. Random weights: assertions are about structure.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { ChatDeps } from '../src/server/context.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';
import { ensureWebBuild, launchChromium, SCREENSHOTS, skipWithoutChromium } from './xss-browser.ts';

const T = 20_000;

async function open(chat: ChatDeps): Promise<{ server: TestServer; browser: Browser; page: Page }> {
  await ensureWebBuild();
  const server = await startTestServer({ withModel: true, deps: { chat } });
  const { cookie } = await server.signup(`answers-${Date.now()}@example.com`);
  const browser = await launchChromium();
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 } });
  const [name, value] = cookie.split(';')[0]?.split('=') ?? [];
  await context.addCookies([{ name: name ?? '', value: value ?? '', url: server.baseUrl }]);
  const page = await context.newPage();
  page.setDefaultTimeout(T);
  await page.goto(server.baseUrl);
  return { server, browser, page };
}

const composer = (page: Page) => page.getByRole('textbox', { name: /Message Ponder/ });
const settled = (page: Page) =>
  page
    .locator('article.message-assistant:not([data-status="streaming"])')
    .last()
    .waitFor({ timeout: 60_000 });

describe('cut-off answers: marked, and Continue extends the same message', {
  skip: skipWithoutChromium,
  timeout: 180_000,
}, () => {
  let s: Awaited<ReturnType<typeof open>>;
  before(async () => {
    // 24 tokens: every answer of the tiny model is cut off by the limit.
    s = await open({ maxTokens: 24 });
  });
  after(async () => {
    await s?.browser.close();
    await s?.server.close();
  });

  test('the answer is marked cut off; Continue grows it in place', async () => {
    const { page } = s;
    await composer(page).fill('Tell me a long story.');
    await composer(page).press('Enter');
    await settled(page);
    const answer = page.locator('article.message-assistant').last();
    await answer.getByText('Cut off').waitFor();
    const before = ((await answer.textContent()) ?? '').length;
    const id = await answer.getAttribute('data-message-id');
    await page.screenshot({ path: join(SCREENSHOTS, 'answer-cut-off.png') });
    await answer.getByRole('button', { name: 'Continue' }).click();
    await page
      .locator('article.message-assistant[data-status="streaming"]')
      .waitFor()
      .catch(() => undefined);
    await settled(page);
    assert.equal(await page.locator('article.message-assistant').count(), 1, 'the same message, no new one');
    const grown = page.locator('article.message-assistant').last();
    assert.equal(await grown.getAttribute('data-message-id'), id);
    // 24 more tokens of reasoning or answer: the message holds more than before.
    const reasoning = grown.locator('.reasoning-body');
    const text =
      ((await grown.textContent()) ?? '') + ((await reasoning.textContent().catch(() => '')) ?? '');
    assert.ok(text.length > before, `grew from ${before} to ${text.length}`);
    // Reloaded from the server, it is still one message, still marked (24 more tokens, cut off again).
    await page.reload();
    await page.locator('article.message-assistant').last().getByText('Cut off').waitFor();
    assert.equal(await page.locator('article.message-assistant').count(), 1);
  });
});

describe('"Answer now" ends the reasoning and the answer follows', {
  skip: skipWithoutChromium,
  timeout: 180_000,
}, () => {
  let s: Awaited<ReturnType<typeof open>>;
  before(async () => {
    s = await open({});
  });
  after(async () => {
    await s?.browser.close();
    await s?.server.close();
  });

  test('the panel shows the budget in use; Answer now closes the thinking', async () => {
    const { page } = s;
    // High effort on the tiny model: 3072 thinking tokens, enough reasoning that it is still going when
    // the button is clicked, even on a loaded machine (numbers grouped in the UI language: "3,072").
    await page.getByRole('combobox', { name: 'Thinking effort' }).selectOption('high');
    await composer(page).fill('Think about entropy.');
    await composer(page).press('Enter');
    const live = page.locator('article.message-assistant[data-status="streaming"]');
    await live.locator('.reasoning-body').waitFor();
    await live
      .locator('.reasoning-budget-used')
      .getByText(/Thinking budget: [\d,]+ of 3,072 tokens/)
      .waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'answer-now-budget.png') });
    // A DOM click: the panel grows while streaming, so waiting for the button to be still could outlast it.
    await live.getByRole('button', { name: 'Answer now' }).dispatchEvent('click');
    await settled(page);
    const answer = page.locator('article.message-assistant').last();
    // Folded to "Thought for N s" with answer text after it.
    await answer
      .locator('.reasoning-toggle')
      .getByText(/Thought for/)
      .waitFor();
    const body = await answer
      .locator('.markdown, .message-content')
      .first()
      .textContent()
      .catch(() => '');
    const all = (await answer.textContent()) ?? '';
    assert.ok((body ?? all).length > 0, 'answer text follows');
    const res = await s.server.request(
      `/api/conversations/${new URL(page.url()).pathname.split('/').at(-1)}`,
      { cookie: (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ') },
    );
    const detail = (await res.json()) as {
      messages: Array<{ role: string; content: string; usage?: { reasoningTokens: number } }>;
    };
    const saved = detail.messages.find((m) => m.role === 'assistant');
    assert.ok(saved && saved.content.length > 0, 'the answer was saved after the reasoning');
    assert.ok((saved.usage?.reasoningTokens ?? 3072) < 3072, 'reasoning ended before its budget');
  });
});
