/**
 * The Search toggle in real Chromium: a server with a search provider (a scripted SearXNG listing real HTML
 * pages on loopback — an article, a page full of XSS payloads and one with prompt injection — read through
 * the real extraction path) shows "Search" beside DeepThink; on, a send carries `search: true`, the timeline
 * shows the web_search step (its query and the pages read), and the answer (a scripted upstream citing [1]
 * and [2]: the test is about the page, not a model) shows the citations as small links to the sources and
 * the sources listed under it. Nothing from the pages runs. A server without a provider shows no Search.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { UpstreamProvider } from '../src/inference/upstream/index.ts';
import { chatStream, type ScriptedUpstream } from '../src/inference/upstream/scripted-upstream.ts';
import { ScriptedServer } from '../src/inference/web/search-contract.ts';
import { type PageServer, startPageServer } from '../src/inference/web/testing.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';
import {
  assertQuietPage,
  composer,
  lastAssistant,
  recordPosts,
  type ScriptedApp,
  scriptedDeps,
  scriptedProvider,
  settled,
  signUp,
  startScriptedApp,
  stopScriptedApp,
} from './e2e-helpers.ts';
import { searxResults } from './search-fixture.ts';
import { SCREENSHOTS, skipWithoutChromium } from './xss-browser.ts';

const T = 20_000;
const QUESTION = 'What are reasoning models?';
const ANSWER =
  'Reasoning models work through a problem step by step before answering [1]. ' +
  'Unrelated, but a sharp knife makes weeknight cooking faster [2]. There is no source [9].';

describe('web search with citations in Chromium (scripted SearXNG, real pages, scripted upstream)', {
  skip: skipWithoutChromium,
  timeout: 240_000,
}, () => {
  let pages: PageServer;
  const searx = new ScriptedServer();
  let app: ScriptedApp;
  let upstream: ScriptedUpstream;
  let server: TestServer;
  /** The same upstream behind a server without a search provider. */
  let bare: TestServer;
  let bareProvider: UpstreamProvider;
  let browser: Browser;
  let page: Page;
  /** Bodies of the turn requests (sends and regenerations) the page posted. */
  const turnBodies: Array<Record<string, unknown>> = [];

  before(async () => {
    pages = await startPageServer();
    await searx.start();
    searx.fallback = searxResults([
      { url: `${pages.origin}/article.html`, title: 'Reasoning models', content: 'about reasoning' },
      {
        url: `${pages.origin}/xss.html`,
        title: 'Kitchen <img src=x onerror=window.__xss=1>',
        content: '<script>window.__xss=1</script>',
      },
      { url: `${pages.origin}/injection.html`, title: 'Hiking boots', content: 'boots' },
    ]);
    app = await startScriptedApp({
      timeoutMs: T,
      height: 900,
      config: {
        fetch: { allowPrivateHosts: ['127.0.0.1'] },
        search: { provider: 'searxng', baseUrl: searx.baseUrl, maxResults: 5, timeoutMs: 10_000 },
      },
    });
    ({ upstream, server, browser, page } = app);
    bareProvider = scriptedProvider(upstream);
    bare = await startTestServer({ deps: { ...scriptedDeps, providers: [bareProvider] } });
    recordPosts(page, /\/api\/conversations\/[^/]+\/messages(\/[^/]+\/regenerate)?$/, turnBodies);
  });

  after(async () => {
    await stopScriptedApp(app, async () => {
      await bare?.close();
      await bareProvider?.[Symbol.asyncDispose]();
    });
    await searx.stop();
    await pages?.close();
  });

  const searchToggle = (p: Page = page) =>
    p.locator('form.composer').getByRole('button', { name: 'Search', exact: true });
  /** Nothing from the pages ran or was put in the DOM. */
  const assertInert = async () => {
    await page.waitForLoadState('networkidle');
    const found = await page.evaluate(() => ({
      xss: (window as unknown as { __xss?: unknown }).__xss,
      images: document.querySelectorAll('main img').length,
      scripts: [...document.scripts].filter((s) => !s.src || new URL(s.src).origin !== location.origin)
        .length,
      embeds: document.querySelectorAll('main iframe, main object, main embed, main svg, main form input')
        .length,
      handlers: [...document.querySelectorAll('main *')].filter((el) =>
        el.getAttributeNames().some((a) => a.startsWith('on')),
      ).length,
      badLinks: [...document.querySelectorAll('main a[href]')].filter(
        (a) => !/^(https?:|\/|#)/.test(a.getAttribute('href') ?? ''),
      ).length,
    }));
    assert.deepEqual(found, { xss: undefined, images: 0, scripts: 0, embeds: 0, handlers: 0, badLinks: 0 });
  };

  test('sign up: the Search toggle shows beside DeepThink, off', async () => {
    await signUp(page, server, `e2e-search-${Date.now()}@example.com`, '/api/tools');
    const toggle = searchToggle();
    await toggle.waitFor();
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
    const chips = await page
      .locator('form.composer .composer-bar')
      .evaluate((bar) => [...bar.querySelectorAll('button.chip')].map((b) => b.textContent));
    assert.deepEqual(chips.slice(0, 2), ['DeepThink', 'Search']);
  });

  test('on: the send searches first, the timeline shows the search, the answer cites its sources', async () => {
    const toggle = searchToggle();
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    const before = upstream.chatRequests.length;
    upstream.enqueue(
      // First the search query the model writes from the question (JSON under a grammar), then the answer.
      { lines: chatStream({ reasoning: [], content: ['{"query":"how reasoning models think"}'] }) },
      { lines: chatStream({ reasoning: ['The sources say ', 'models think first.'], content: [ANSWER] }) },
    );
    await composer(page).fill(QUESTION);
    await composer(page).press('Enter');
    await page.waitForURL(/\/c\/[^/]+$/);
    await settled(page);
    assert.equal(turnBodies.at(-1)?.search, true, 'the send carried search: true');
    // The model got the sources before answering (a tool turn), never the pages' markup.
    const sent = upstream.chatRequests[before + 1]?.body as { messages: Array<Record<string, unknown>> };
    assert.deepEqual(
      sent.messages.map((m) => m.role),
      ['user', 'assistant', 'tool'],
    );
    assert.doesNotMatch(String(sent.messages[2]?.content), /<script|onerror=/i);

    const answer = lastAssistant(page);
    assert.equal(await answer.getAttribute('data-status'), 'complete');
    await answer.locator('.markdown', { hasText: 'step by step' }).waitFor();

    // [1] and [2] are small links to their sources; [9] (no such source) stays text.
    const cites = answer.locator('.markdown a.citation');
    assert.equal(await cites.count(), 2);
    const links = await cites.evaluateAll((els) =>
      els.map((a) => ({
        text: a.textContent,
        href: a.getAttribute('href'),
        rel: a.getAttribute('rel'),
        target: a.getAttribute('target'),
        title: a.getAttribute('title'),
      })),
    );
    assert.deepEqual(
      links.map((l) => [l.text, l.href, l.target]),
      [
        ['1', `${pages.origin}/article.html`, '_blank'],
        ['2', `${pages.origin}/xss.html`, '_blank'],
      ],
    );
    for (const l of links) {
      assert.match(l.href ?? '', /^https?:\/\//);
      assert.deepEqual((l.rel ?? '').split(/\s+/).sort(), ['noopener', 'noreferrer']);
    }
    assert.match(links[0]?.title ?? '', /How reasoning models think/);
    assert.match((await answer.locator('.markdown').textContent()) ?? '', /There is no source \[9\]\./);

    // Sources: numbered title links with their host.
    const sources = answer.locator('section.sources');
    await sources.waitFor();
    assert.equal(await sources.locator('.sources-title').textContent(), 'Sources');
    const items = await sources.locator('li').evaluateAll((lis) =>
      lis.map((li) => ({
        n: (li as HTMLLIElement).value,
        href: li.querySelector('a')?.getAttribute('href'),
        rel: li.querySelector('a')?.getAttribute('rel'),
        host: li.querySelector('.source-host')?.textContent,
      })),
    );
    assert.ok(items.length >= 2, JSON.stringify(items));
    const host = new URL(pages.origin).host;
    for (const [i, item] of items.entries()) {
      assert.equal(item.n, i + 1);
      assert.match(item.href ?? '', /^http:\/\/127\.0\.0\.1:\d+\/[a-z]+\.html$/);
      assert.equal(item.rel, 'noopener noreferrer');
      assert.equal(item.host, host);
    }

    // The timeline: "1 tool call"; the web_search card shows the query and the pages read, folded.
    const toggleReasoning = answer.locator('.reasoning-toggle');
    assert.match((await toggleReasoning.textContent()) ?? '', /· 1 tool call$/);
    if ((await toggleReasoning.getAttribute('aria-expanded')) === 'false') await toggleReasoning.click();
    const card = answer.locator('.tool-step');
    await card.waitFor();
    assert.equal(await card.getAttribute('data-status'), 'ok');
    assert.equal(await card.locator('.tool-step-name').textContent(), 'web_search');
    // The query the model wrote from the question (scripted above), not the question itself.
    assert.equal(await card.locator('.tool-step-query').textContent(), 'how reasoning models think');
    assert.equal(await card.locator('.tool-step-page').count(), items.length);
    assert.match(
      (await card.locator('.tool-step-page-title').first().textContent()) ?? '',
      /^\[1\] How reasoning models think/,
    );
    assert.equal(await card.locator('.tool-step-page-host').first().textContent(), host);
    assert.equal(await card.locator('.tool-step-output').count(), 0, 'the raw result stays folded');
    await assertInert();
    // Like the other screenshots, copied into docs/ by hand when the README's should change.
    await page.screenshot({ path: join(SCREENSHOTS, 'answer-with-sources.png') });

    // Opened, the raw result (the pages' text) is text too.
    await card.locator('.tool-step-preview').click();
    const raw = (await card.locator('.tool-step-output').textContent()) ?? '';
    assert.match(raw, /untrusted data/);
    await assertInert();
  });

  test('after a reload: citations, sources and the choice are still there; a new chat starts with it off', async () => {
    await page.reload();
    const answer = lastAssistant(page);
    await answer.locator('.markdown a.citation').first().waitFor();
    assert.equal(await answer.locator('.markdown a.citation').count(), 2);
    await answer.locator('section.sources').waitFor();
    assert.equal(
      await searchToggle().getAttribute('aria-pressed'),
      'true',
      'remembered for this conversation',
    );
    await assertInert();

    // Regenerate carries search: true as well.
    upstream.enqueue(
      { lines: chatStream({ reasoning: [], content: ['{"query":"reasoning models"}'] }) },
      { lines: chatStream({ content: ['Again: models reason [1].'] }) },
    );
    await answer.getByRole('button', { name: 'Regenerate' }).click();
    await lastAssistant(page)
      .locator('.markdown', { hasText: 'Again: models reason' })
      .waitFor({ timeout: 60_000 });
    await settled(page);
    assert.equal(turnBodies.at(-1)?.search, true, 'the regeneration carried search: true');
    assert.equal(await lastAssistant(page).locator('.markdown a.citation').count(), 1);

    await page.getByRole('button', { name: /New chat/ }).click();
    await composer(page).waitFor();
    assert.equal(await searchToggle().getAttribute('aria-pressed'), 'false');
  });

  test('a server without a search provider shows no Search button', async () => {
    const other = await browser.newContext({ locale: 'en-US' });
    try {
      const p = await other.newPage();
      p.setDefaultTimeout(T);
      await signUp(p, bare, `e2e-nosearch-${Date.now()}@example.com`, '/api/tools');
      await p.locator('form.composer').getByRole('button', { name: 'DeepThink' }).waitFor();
      assert.equal(await searchToggle(p).count(), 0);
      assert.equal(await p.locator('.chip-search').count(), 0);
    } finally {
      await other.close();
    }
  });

  test('no page errors, dialogs or requests off the server', () => {
    assertQuietPage(app.watch);
  });
});
