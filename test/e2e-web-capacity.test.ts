/**
 * The web app when the server is full, in real Chromium against a real server on the generated tiny model
 * with one generation slot: a shed send (503 + Retry-After) shows "busy" with a countdown and retries,
 * a queued send shows its place in line and then streams, a connection dropped mid-stream is picked up
 * again (Last-Event-ID) without doubled text while the page says it is reconnecting, and a stop clicked
 * at once after sending (before any token, while queued or not) ends the answer `cancelled`.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Ticket } from '../src/core/admission/index.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';
import { ensureWebBuild, launchChromium, openWatchedPage, skipWithoutChromium } from './xss-browser.ts';

const T = 20_000;
const plan = { maxConcurrency: 1, priority: 1 };

describe('web app at capacity', { skip: skipWithoutChromium, timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let cookie: string;
  const sockets = new Set<Socket>();
  const pageErrors: string[] = [];

  const admission = () => {
    const c = server.capacity?.capacity;
    assert.ok(c);
    return c.admission;
  };

  async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
    const { context, page } = await openWatchedPage(
      browser,
      server.baseUrl,
      { pageErrors },
      { timeoutMs: T, cookie },
    );
    await page.goto(server.baseUrl);
    await composer(page).waitFor();
    return { context, page };
  }

  /**
   * Runs `body` on a fresh logged-in page; with `hold`, while someone else holds the one slot (the body
   * may release it earlier). The page and the ticket are let go afterwards whatever happened.
   */
  async function onPage(
    hold: boolean,
    body: (page: Page, holder: Ticket | undefined) => Promise<void>,
  ): Promise<void> {
    const holder = hold ? await admission().admit({ userId: 'holder', plan }) : undefined;
    const { context, page } = await newPage();
    try {
      await body(page, holder);
    } finally {
      holder?.release();
      await context.setOffline(false).catch(() => undefined);
      await context.close();
    }
  }

  const composer = (page: Page) => page.getByRole('textbox', { name: /Message Ponder/ });
  const settled = (page: Page) =>
    page
      .locator('article.message-assistant')
      .last()
      .and(page.locator(':not([data-status="streaming"])'))
      .waitFor({ timeout: 60_000 });

  /** What the server stored for the conversation's last answer. */
  async function storedAnswer(page: Page) {
    const id = new URL(page.url()).pathname.split('/').pop() ?? '';
    const res = await server.request(`/api/conversations/${id}`, { cookie });
    const body = (await res.json()) as {
      messages: { role: string; status: string; reasoning: string; content: string }[];
    };
    const answer = body.messages.filter((m) => m.role === 'assistant').at(-1);
    assert.ok(answer, 'an answer was stored');
    return answer;
  }

  /** The user's conversations as the server lists them. */
  async function listConversations() {
    const res = await server.request('/api/conversations', { cookie });
    return ((await res.json()) as { conversations: { id: string; title: string }[] }).conversations;
  }

  before(async () => {
    await ensureWebBuild();
    server = await startTestServer({
      withModel: true,
      capacity: { slots: 1 },
      config: {
        // One waiter fills the queue; the fair share stays out of the way of the tickets held by hand.
        admission: { maxQueued: 1, maxQueuedPerUser: 4, maxWaitMs: 120_000, fairShareWindowMs: 0 },
      },
      deps: { chat: { persistIntervalMs: 100 } },
    });
    server.app.server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    cookie = (await server.signup()).cookie;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('a full queue: "busy" with a countdown, the text stays, no empty conversation is left, Retry after it sends', async () => {
    // One measured hold of about 1.5 s, so Retry-After (queue ahead ÷ drain rate) is a few seconds.
    const warm = await admission().admit({ userId: 'warm-up', plan });
    await new Promise((r) => setTimeout(r, 1500));
    warm.release();
    const leave = new AbortController();
    await onPage(true, async (page, holder) => {
      const before = (await listConversations()).map((c) => c.id).sort();
      const waiter = admission().admit({ userId: 'waiter', plan, signal: leave.signal });
      const refused = page.waitForResponse(
        (r) => /\/messages$/.test(r.url()) && r.request().method() === 'POST',
      );
      await composer(page).fill('Is there room?');
      await composer(page).press('Enter');
      const res = await refused;
      assert.equal(res.status(), 503);
      const retryAfter = Number(await res.headerValue('retry-after'));
      assert.ok(retryAfter >= 2 && retryAfter <= 10, `Retry-After ${retryAfter}`);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'overloaded');

      const banner = page.locator('.error-banner');
      await banner.waitFor();
      assert.match((await banner.textContent()) ?? '', /The server is busy/);
      const retry = banner.getByRole('button', { name: /^Retry/ });
      // It counts down, disabled, from what Retry-After said.
      assert.match((await retry.textContent()) ?? '', /^Retry in [1-9]\d* s$/);
      assert.equal(await retry.isDisabled(), true);
      await banner.getByRole('button', { name: 'Retry in 1 s' }).waitFor();
      assert.equal(await composer(page).inputValue(), 'Is there room?');
      assert.equal(await page.locator('article.message-user').count(), 0);
      // No empty conversation is left by the refused send: the page deleted the one it made for it.
      let left = await listConversations();
      for (let i = 0; i < 50 && left.length !== before.length; i++) {
        await new Promise((r) => setTimeout(r, 100));
        left = await listConversations();
      }
      assert.deepEqual(left.map((c) => c.id).sort(), before);
      assert.deepEqual(
        left.filter((c) => c.title === ''),
        [],
        'an untitled conversation is listed',
      );
      assert.equal(await page.locator('li.conversation-item', { hasText: 'New conversation' }).count(), 0);
      assert.equal(await page.locator('li.conversation-item').count(), before.length);
      assert.equal(new URL(page.url()).pathname, '/');

      // The slot frees; once the countdown is over, Retry sends the same text.
      holder?.release();
      (await waiter).release();
      await banner.getByRole('button', { name: 'Retry', exact: true }).click();
      await banner.waitFor({ state: 'detached' });
      await page.waitForURL(/\/c\/[^/]+$/);
      await page.locator('article.message-user', { hasText: 'Is there room?' }).waitFor();
      await settled(page);
      assert.equal(
        await page.locator('article.message-assistant').last().getAttribute('data-status'),
        'complete',
      );
    }).finally(() => leave.abort());
  });

  test('a full server: the answer shows its place in line, then streams once the slot frees', async () => {
    await onPage(true, async (page, holder) => {
      await composer(page).fill('Queue me, please.');
      await composer(page).press('Enter');
      const answer = page.locator('article.message-assistant').last();
      const queued = answer.locator('output.queued');
      await queued.waitFor();
      assert.match((await queued.textContent()) ?? '', /^#1 in line/);
      assert.equal(await answer.getAttribute('data-status'), 'streaming');
      assert.equal(await answer.locator('.reasoning-body').count(), 0);
      holder?.release();
      await answer.locator('.reasoning-body').waitFor({ state: 'attached' });
      assert.equal(await queued.count(), 0);
      await settled(page);
      assert.equal(await answer.getAttribute('data-status'), 'complete');
      const stored = await storedAnswer(page);
      assert.equal(await answer.locator('.reasoning-body').textContent(), stored.reasoning);
    });
  });

  test('a dropped connection: "reconnecting", then the answer completes from where it was, nothing doubled', async () => {
    // Queued first, so the connection is cut while the stream is open but no answer has ended yet.
    await onPage(true, async (page, holder) => {
      const attaches: string[] = [];
      page.on('request', (req) => {
        if (/\/api\/generations\/[^/]+\/events/.test(req.url())) {
          attaches.push(req.headers()['last-event-id'] ?? '');
        }
      });
      await composer(page).fill('Survive a network drop.');
      await composer(page).press('Enter');
      const answer = page.locator('article.message-assistant').last();
      await answer.locator('output.queued').waitFor();
      // The network goes: no new connection can be made, and the open ones are cut.
      await page.context().setOffline(true);
      for (const s of sockets) s.destroy();
      const notice = page.locator('.reconnecting');
      await notice.waitFor();
      assert.match((await notice.textContent()) ?? '', /Connection lost/);
      // The answer runs on server-side meanwhile.
      holder?.release();
      assert.equal(await page.getByRole('button', { name: 'Stop', exact: true }).count(), 1);
      await page.context().setOffline(false);
      await notice.waitFor({ state: 'detached' });
      await settled(page);
      assert.equal(await answer.getAttribute('data-status'), 'complete');
      // It picked up after the last event it had (meta and queued), not from scratch.
      assert.ok(
        attaches.some((id) => Number(id) >= 2),
        `Last-Event-ID sent: ${attaches.join(',')}`,
      );
      const stored = await storedAnswer(page);
      assert.ok(stored.reasoning.length > 0);
      assert.equal(await answer.locator('.reasoning-body').textContent(), stored.reasoning);
      assert.equal(await answer.locator('.markdown').count(), stored.content.trim() ? 1 : 0);
    });
  });

  for (const queued of [true, false]) {
    const when = queued ? 'while queued' : 'before its generation id is known';
    test(`stop at once after sending, ${when}: the answer ends cancelled and frees the slot`, async () => {
      await onPage(queued, async (page) => {
        await composer(page).fill(`Stop me ${when}.`);
        await composer(page).press('Enter');
        // At once (a DOM click as soon as the button is there): the send's response may not even be in.
        const stop = page.getByRole('button', { name: 'Stop', exact: true });
        await stop.waitFor();
        await stop.dispatchEvent('click');
        const answer = page.locator('article.message-assistant').last();
        await answer.and(page.locator('[data-status="cancelled"]')).waitFor();
        assert.equal(await answer.getByText('Stopped').count(), 1);
        assert.equal((await storedAnswer(page)).status, 'cancelled');
        await page.getByRole('button', { name: 'Send' }).waitFor({ state: 'attached' });
        // Its admission ticket went back before `done` (only the hand-held one may be out).
        assert.equal(admission().stats().busy, queued ? 1 : 0);
      });
    });
  }

  test('no page error was thrown', () => {
    assert.deepEqual(pageErrors, []);
  });
});
