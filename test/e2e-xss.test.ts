/**
 * The XSS corpus through the real web app in Chromium: every payload is sent as a user message and rendered
 * (optimistically, then from the server after a reload). Nothing may run: the `window.__xss` canary stays
 * unset, no dialog opens, no request leaves the server's origin, and the DOM holds no live handler,
 * script URL, frame or image.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { UpstreamProvider } from '../src/inference/upstream/index.ts';
import {
  chatStream,
  type ScriptedUpstream,
  startScriptedUpstream,
} from '../src/inference/upstream/scripted-upstream.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';
import { scriptedProvider } from './e2e-helpers.ts';
import {
  ensureWebBuild,
  launchChromium,
  openWatchedPage,
  SCREENSHOTS,
  skipWithoutChromium,
} from './xss-browser.ts';
import { XSS_PAYLOADS } from './xss-corpus.ts';

/** Runs in the page: every way a rendered message could execute or fetch something. */
function inspectRendered(): string[] {
  const problems: string[] = [];
  const w = window as unknown as { __xss?: unknown };
  if (w.__xss !== undefined) problems.push(`canary set: ${String(w.__xss)}`);
  for (const el of document.querySelectorAll('.markdown *')) {
    const tag = el.tagName.toLowerCase();
    if (
      [
        'script',
        'iframe',
        'object',
        'embed',
        'img',
        'style',
        'link',
        'meta',
        'base',
        'form',
        'video',
        'source',
        'input',
      ].includes(tag)
    ) {
      if (!(tag === 'input' && el.getAttribute('type') === 'checkbox' && el.hasAttribute('disabled'))) {
        problems.push(`element <${tag}>`);
      }
    }
    for (const attr of el.getAttributeNames()) {
      if (attr.startsWith('on')) problems.push(`<${tag} ${attr}>`);
      if (attr === 'srcdoc' || attr === 'formaction') problems.push(`<${tag} ${attr}>`);
    }
    const href = el.getAttribute('href') ?? el.getAttribute('xlink:href');
    if (href !== null && !/^(https?:|mailto:|#)/i.test(href)) problems.push(`<${tag} href="${href}">`);
    if (tag === 'a' && /^https?:/i.test(href ?? '')) {
      if (el.getAttribute('target') !== '_blank' || !/noopener/.test(el.getAttribute('rel') ?? '')) {
        problems.push(`unsafe link target ${href}`);
      }
    }
    const style = el.getAttribute('style') ?? '';
    if (/url\s*\(/i.test(style)) problems.push(`<${tag} style=${style}>`);
  }
  return problems;
}

/** A plan generous enough for one user to send the whole corpus (the free plan allows 50 a day). */
const PLANS = {
  free: {
    reasoningMessagesPerDay: 1000,
    tokensPerDay: 10_000_000,
    maxConcurrency: 2,
    priority: 1,
    maxThinkingBudget: 4096,
  },
};

describe('XSS corpus in Chromium (user messages, and model output from a scripted hostile upstream)', {
  skip: skipWithoutChromium,
  timeout: 240_000,
}, () => {
  let upstream: ScriptedUpstream;
  let provider: UpstreamProvider;
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const foreign: string[] = [];
  const dialogs: string[] = [];

  before(async () => {
    await ensureWebBuild();
    // Request i answers with payload i, in the reasoning and in the answer.
    upstream = await startScriptedUpstream({
      models: ['r1-test'],
      onChat: (_req, i) => {
        const payload = XSS_PAYLOADS[i % XSS_PAYLOADS.length] ?? '';
        // (The user-message test runs first and uses up one request per payload: the index wraps.)
        return {
          lines: chatStream({ reasoning: ['\n', payload], content: [payload.slice(0, 5), payload.slice(5)] }),
        };
      },
    });
    provider = scriptedProvider(upstream, 'hostile');
    server = await startTestServer({
      config: { plans: PLANS },
      deps: {
        providers: [provider],
        defaultModel: 'r1-test',
        modelStatus: () => ({ state: 'ready', model: 'r1-test' }),
      },
    });
    browser = await launchChromium();
    const { cookie } = await server.signup();
    ({ page } = await openWatchedPage(
      browser,
      server.baseUrl,
      { foreign, dialogs },
      { timeoutMs: 20_000, cookie },
    ));
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await provider?.[Symbol.asyncDispose]();
    await upstream?.close();
  });

  test('at least 30 payloads', () => {
    assert.ok(XSS_PAYLOADS.length >= 30);
  });

  test('every payload sent as a user message renders inert', async () => {
    await page.goto(server.baseUrl);
    const composer = page.getByRole('textbox', { name: /Message Ponder/ });
    await composer.waitFor();
    const conversations: string[] = [];
    for (const payload of XSS_PAYLOADS) {
      await page.getByRole('button', { name: /New chat/ }).click();
      await composer.fill(payload);
      await composer.press('Enter');
      await page.waitForURL(/\/c\/[^/]+$/);
      conversations.push(page.url());
      await page.locator('article.message-assistant:not([data-status="streaming"])').waitFor();
      assert.deepEqual(await page.evaluate(inspectRendered), [], `payload ${JSON.stringify(payload)}`);
    }
    // Rendered again from what the server stored (not the optimistic copy).
    for (const url of conversations.slice(-12)) {
      await page.goto(url);
      await page.locator('article.message-user').first().waitFor();
      assert.deepEqual(await page.evaluate(inspectRendered), [], url);
    }
  });

  test('every payload streamed back by the model renders inert (answer and reasoning)', async () => {
    await page.goto(server.baseUrl);
    const composer = page.getByRole('textbox', { name: /Message Ponder/ });
    await composer.waitFor();
    const offset = upstream.chatRequests.length;
    for (let i = 0; i < XSS_PAYLOADS.length; i++) {
      await page.getByRole('button', { name: /New chat/ }).click();
      await composer.fill(`payload ${(offset + i) % XSS_PAYLOADS.length}`);
      await composer.press('Enter');
      const done = page.locator('article.message-assistant:not([data-status="streaming"])');
      await done.waitFor();
      assert.equal(await done.getAttribute('data-status'), 'complete', `payload ${i}`);
      // Open the reasoning too, so its text is in view.
      const toggle = done.locator('.reasoning-toggle[aria-expanded="false"]');
      if (await toggle.count()) await toggle.click();
      assert.deepEqual(
        await page.evaluate(inspectRendered),
        [],
        `payload ${JSON.stringify(XSS_PAYLOADS[i])}`,
      );
    }
    await page.waitForLoadState('networkidle');
    assert.deepEqual(await page.evaluate(inspectRendered), []);
    assert.ok(upstream.chatRequests.length >= offset + XSS_PAYLOADS.length);
  });

  test('a rich answer: folded reasoning, GFM table, task list, highlighted code with copy, KaTeX (lazy chunks)', async () => {
    const answer = [
      'Here is **the answer**.\n\n| n | n² |\n|---|---|\n| 2 | 4 |\n| 3 | 9 |\n\n',
      '- [x] parsed\n- [ ] rendered\n\n```ts\nconst square = (n: number): number => n * n;\n```\n\n',
      'Inline \\(e^{i\\pi} + 1 = 0\\) and display:\n\n$$\\int_0^1 x^2\\,dx = \\frac{1}{3}$$\n',
    ];
    upstream.enqueue({
      lines: chatStream({ reasoning: ['\n', 'First, recall ', 'the definition.'], content: answer }),
    });
    await page.getByRole('button', { name: /New chat/ }).click();
    const composer = page.getByRole('textbox', { name: /Message Ponder/ });
    await composer.fill('Show me what you can render');
    await composer.press('Enter');
    const msg = page.locator('article.message-assistant[data-status="complete"]');
    await msg.waitFor();
    await msg.locator('.katex').first().waitFor();
    await msg.locator('.hljs-keyword').first().waitFor();
    assert.equal(await msg.locator('table').count(), 1);
    assert.equal(await msg.locator('input[type="checkbox"]').count(), 2);
    assert.equal(await msg.locator('.katex-display').count(), 1);
    assert.ok((await msg.locator('.katex').count()) >= 2);
    assert.equal(await msg.locator('.code-block').getByRole('button', { name: 'Copy' }).count(), 1);
    const toggle = msg.locator('.reasoning-toggle');
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    assert.match((await toggle.textContent()) ?? '', /Thought for \d+ s/);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'answer-reasoning-folded-light.png') });
    await toggle.click();
    await page.screenshot({ path: join(SCREENSHOTS, 'answer-reasoning-open-light.png') });
    assert.deepEqual(await page.evaluate(inspectRendered), []);
  });

  test('no dialog opened and no request left the origin', () => {
    assert.deepEqual(dialogs, []);
    assert.deepEqual(foreign, []);
  });
});
