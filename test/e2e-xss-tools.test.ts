/**
 * The XSS corpus again, now inside fetched pages and tool results (issue 12), through the real web app in
 * Chromium. A loopback server serves one HTML page carrying every payload (title, headings, paragraphs, link
 * texts and hrefs, image alts, code blocks: escaped where they are text, raw where they are markup) and a
 * text/plain page with the raw payloads; a scripted SearXNG lists those pages under hostile titles, snippets
 * and URLs (`javascript:` and `data:` among them). Turn 1: Tools → fetch_url, the scripted upstream (the test
 * is about the page, not a model) reads the HTML page, then the text page, then answers with payloads of its
 * own; every card is opened. Turn 2: Search on, the answer cites [1]..[5] among more payloads. After each
 * turn and after a reload: no dialog, no `window.__xss`, no request off the app's origin, no live markup in
 * the message area, every link http(s), and the payloads readable as text.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { ToolsResponse } from '../src/api/conversations.ts';
import {
  chatStream,
  type ScriptedResponse,
  type ScriptedUpstream,
} from '../src/inference/upstream/scripted-upstream.ts';
import { ScriptedServer } from '../src/inference/web/search-contract.ts';
import type { TestServer } from '../src/server/testing.ts';
import {
  answerRound,
  assertQuietPage,
  composer,
  type ScriptedApp,
  signUp,
  startScriptedApp,
  stopScriptedApp,
  toolCallRound,
} from './e2e-helpers.ts';
import { searxResults } from './search-fixture.ts';
import { skipWithoutChromium } from './xss-browser.ts';
import { XSS_PAYLOADS } from './xss-corpus.ts';

const T = 20_000;
const P = XSS_PAYLOADS;
const SCRIPT = '<script>window.__xss=1</script>';
/** The search query the model writes for turn 2: a payload too. */
const QUERY = `reasoning models <img src=x onerror="window.__xss=1"> ${SCRIPT}`;
assert.equal(P[0], SCRIPT);

const esc = (s: string): string =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** A page with every payload: as text in each place a reader extracts, then raw as markup at the end. */
function hostileHtml(name: string): string {
  const sections = P.map(
    (p, i) => `<h2>Payload ${i}: ${esc(p)}</h2>
<p>Reasoning models think step by step before they answer; payload ${i} of the ${name} page reads ${esc(p)} here.</p>
<p><a href="javascript:window.__xss=${i}">${esc(p)}</a> <a href="data:text/html,${esc(SCRIPT)}">data ${i}</a>
<a href="https://evil.example/link/${i}">${esc(p)}</a> <a href="${esc(`JaVa\tScRiPt:window.__xss=${i}`)}">tab ${i}</a></p>
<p><img src="https://evil.example/img/${i}.png" alt="${esc(p)}" onerror="window.__xss=${i}"></p>
<pre><code>${esc(p)}</code></pre>`,
  ).join('\n');
  return `<!doctype html>
<html><head><meta charset="utf-8">
<title>${esc(`${name} ${SCRIPT} ${P[2]}`)}</title>
<script>window.__xss=1</script>
<base href="https://evil.example/">
<meta http-equiv="refresh" content="0;url=javascript:window.__xss=1">
</head><body onload="window.__xss=1"><article>
<h1>${esc(SCRIPT)} ${name}</h1>
${sections}
<section class="raw">
${P.join('\n')}
</section>
</article></body></html>`;
}
const TEXT_PAGE = P.join('\n\n');

/** Reasoning, then one call of `name` with `args` (streamed in two pieces), finish_reason tool_calls. */
const callRound = (name: string, id: string, reasoning: string, args: string) =>
  toolCallRound(name, id, reasoning, [args.slice(0, 7), args.slice(7)]);

interface Inspection {
  problems: string[];
  /** Payloads found literally in the message area's visible text. */
  literal: string[];
  links: number;
}

/** Runs in the page: anything in the message area that could run or fetch, every link's scheme, the text. */
function inspectMessages(payloads: readonly string[]): Inspection {
  const problems: string[] = [];
  const w = window as unknown as { __xss?: unknown };
  if (w.__xss !== undefined) problems.push(`canary set: ${String(w.__xss)}`);
  for (const s of document.scripts) {
    if (!s.src || new URL(s.src).origin !== location.origin)
      problems.push(`document script ${s.src || '(inline)'}`);
  }
  if (document.querySelector('base, meta[http-equiv]')) problems.push('document <base> or <meta http-equiv>');
  const area = document.querySelector('.messages');
  if (!area) return { problems: [...problems, 'no .messages'], literal: [], links: 0 };
  const banned = [
    'script',
    'iframe',
    'frame',
    'frameset',
    'object',
    'embed',
    'applet',
    'img',
    'style',
    'link',
    'meta',
    'base',
    'form',
    'video',
    'audio',
    'source',
    'input',
  ];
  let links = 0;
  for (const el of area.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    if (banned.includes(tag)) {
      if (!(tag === 'input' && el.getAttribute('type') === 'checkbox' && el.hasAttribute('disabled'))) {
        problems.push(`element <${tag}>`);
      }
    }
    for (const attr of el.getAttributeNames()) {
      if (attr.startsWith('on')) problems.push(`<${tag} ${attr}>`);
      if (['srcdoc', 'formaction', 'src', 'srcset', 'action', 'data', 'poster'].includes(attr)) {
        problems.push(`<${tag} ${attr}="${el.getAttribute(attr)}">`);
      }
    }
    const style = el.getAttribute('style') ?? '';
    if (/url\s*\(|expression\s*\(/i.test(style)) problems.push(`<${tag} style="${style}">`);
    const href = el.getAttribute('href') ?? el.getAttribute('xlink:href');
    if (tag === 'a' || href !== null) {
      links++;
      // Footnotes link within the page; everything else must be an absolute http(s) URL.
      const footnote = href?.startsWith('#user-content-') && el.closest('.markdown') !== null;
      if (href === null || (!/^https?:\/\//i.test(href) && !footnote)) {
        problems.push(`<${tag} href=${JSON.stringify(href)}>`);
      } else if (/^https?:/i.test(href)) {
        if (el.getAttribute('target') !== '_blank' || !/\bnoopener\b/.test(el.getAttribute('rel') ?? '')) {
          problems.push(`unsafe link target ${href}`);
        }
      }
    }
  }
  // biome-ignore lint/performance/useDomNodeTextContent: the payloads must be visible as rendered text
  const text = (area as HTMLElement).innerText;
  return { problems, literal: payloads.filter((p) => text.includes(p)), links };
}

describe('XSS corpus inside fetched pages, search results and tool results in Chromium', {
  skip: skipWithoutChromium,
  timeout: 240_000,
}, () => {
  let pages: Server;
  let origin = '';
  const pagesRequested: string[] = [];
  const script: ScriptedResponse[] = [];
  const searx = new ScriptedServer();
  let app: ScriptedApp;
  let upstream: ScriptedUpstream;
  let server: TestServer;
  let page: Page;

  before(async () => {
    pages = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      pagesRequested.push(req.url ?? '');
      const html = /^\/([a-z]+)\.html$/.exec(path);
      if (path === '/plain.txt') {
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(TEXT_PAGE);
      } else if (html?.[1]) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(hostileHtml(html[1]));
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
      }
    });
    await new Promise<void>((r) => pages.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;

    await searx.start();
    // Hostile titles, snippets and URLs; the `javascript:`/`data:` results come between the real ones.
    searx.fallback = searxResults([
      { url: `${origin}/xss.html`, title: `Kitchen ${P[2]}`, content: SCRIPT },
      { url: 'javascript:window.__xss=1', title: P[8], content: P[0] },
      { url: `${origin}/plain.txt`, title: `Plain ${esc(SCRIPT)}`, content: esc(P[2] ?? '') },
      { url: `data:text/html,${SCRIPT}`, title: P[9], content: P[9] },
      { url: 'JaVaScRiPt:window.__xss=1', title: 'mixed case', content: P[4] },
      { url: 'java\tscript:window.__xss=1', title: 'tab', content: P[12] },
      { url: `${origin}/more.html?q=${SCRIPT}`, title: P[11], content: P[3] },
      { url: `${origin}/third.html#"><img src=x onerror=window.__xss=1>`, title: P[13], content: P[15] },
      { url: 'vbscript:msgbox(1)', title: 'vb', content: P[25] },
      { url: `${origin}/fourth.html`, title: P[16], content: P[17] },
      { url: `${origin}/fifth.html`, title: 'one too many', content: P[18] },
    ]);
    // Turns take their answers from `script`, in order; the search query Ponder asks the model to write
    // before a search-first turn (when it does) is answered apart, with a hostile query.
    app = await startScriptedApp({
      timeoutMs: T,
      height: 900,
      onChat: (req) => {
        const messages = (req.body as { messages?: Array<{ role?: string; content?: unknown }> }).messages;
        if (messages?.[0]?.role === 'system' && /web search query/.test(String(messages[0].content))) {
          return { lines: chatStream({ reasoning: [], content: [JSON.stringify({ query: QUERY })] }) };
        }
        return script.shift() ?? { lines: chatStream() };
      },
      config: {
        fetch: { allowPrivateHosts: ['127.0.0.1'] },
        search: { provider: 'searxng', baseUrl: searx.baseUrl, maxResults: 5, timeoutMs: 10_000 },
      },
    });
    ({ upstream, server, page } = app);
  });

  after(async () => {
    await stopScriptedApp(app);
    await searx.stop();
    pages?.closeAllConnections();
    await new Promise((r) => pages?.close(r));
  });

  const assistants = () => page.locator('article.message-assistant');
  /** Waits until `n` assistant messages are there and none is streaming; returns the last one. */
  const settled = async (n: number) => {
    await page.waitForFunction(
      (count) => {
        const all = document.querySelectorAll('article.message-assistant');
        return (
          all.length === count &&
          document.querySelectorAll('article.message-assistant[data-status="streaming"]').length === 0
        );
      },
      n,
      { timeout: 60_000 },
    );
    const last = assistants().last();
    assert.equal(await last.getAttribute('data-status'), 'complete');
    return last;
  };
  /** Every reasoning panel and every tool card open, each card showing its whole result. */
  const openAll = async () => {
    const folded = page.locator('article.message-assistant .reasoning-toggle[aria-expanded="false"]');
    for (let i = 0; i < 10 && (await folded.count()) > 0; i++) await folded.first().click();
    const cards = page.locator('.tool-step-head[aria-expanded="false"]');
    for (let i = 0; i < 20 && (await cards.count()) > 0; i++) await cards.first().click();
    assert.equal(await folded.count(), 0);
    assert.equal(await cards.count(), 0);
    assert.equal(await page.locator('.tool-step-output').count(), await page.locator('.tool-step').count());
  };
  /** Nothing ran, nothing left the origin, nothing live in the DOM, the payloads are text. */
  const assertInert = async (when: string) => {
    await page.waitForLoadState('networkidle');
    const found = await page.evaluate(inspectMessages, XSS_PAYLOADS);
    assert.deepEqual(found.problems, [], when);
    assert.ok(found.literal.length >= 1, `${when}: no payload visible as text`);
    assert.ok(found.literal.includes(SCRIPT), `${when}: ${JSON.stringify(found.literal)}`);
    assert.deepEqual(app.watch.dialogs, [], when);
    assert.deepEqual(app.watch.foreign, [], when);
    return found;
  };

  test('sign up (setup code); GET /api/tools lists fetch_url and web_search', async () => {
    await signUp(page, server, `e2e-xss-tools-${Date.now()}@example.com`);
    const listed = await page.evaluate(async () => {
      const res = await fetch('/api/tools');
      return (await res.json()) as ToolsResponse;
    });
    const names = listed.tools.map((t) => t.name);
    assert.ok(names.includes('fetch_url') && names.includes('web_search'), names.join(', '));
  });

  test('turn 1: fetch_url reads the hostile HTML page, then the text page; cards open; nothing runs', async () => {
    const listed = await page.evaluate(
      async () => (await (await fetch('/api/tools')).json()) as ToolsResponse,
    );
    const fetchTitle = listed.tools.find((t) => t.name === 'fetch_url')?.title || 'fetch_url';
    await page.getByRole('button', { name: 'Tools', exact: true }).click();
    await page.getByRole('checkbox', { name: fetchTitle }).check();
    await page.getByRole('button', { name: 'Tools · 1', exact: true }).waitFor();
    await page.keyboard.press('Escape');
    await page.locator('.tools-popover').waitFor({ state: 'detached' });

    const first = upstream.chatRequests.length;
    script.push(
      {
        lines: callRound(
          'fetch_url',
          'call_xss_html',
          `Let me read the page. ${SCRIPT} `,
          JSON.stringify({ url: `${origin}/xss.html` }),
        ),
      },
      {
        lines: callRound(
          'fetch_url',
          'call_xss_text',
          `Now the text version. ${P[2]} `,
          JSON.stringify({ url: `${origin}/plain.txt` }),
        ),
      },
      { lines: answerRound(`Both read. ${P[4]}`, `Here is what the pages say.\n\n${P.join('\n\n')}`) },
    );
    await composer(page).fill('Read these two pages and tell me what they say.');
    await composer(page).press('Enter');
    await page.waitForURL(/\/c\/[^/]+$/);
    const answer = await settled(1);
    assert.equal(upstream.chatRequests.length, first + 3);
    assert.equal(script.length, 0);
    const offered = upstream.chatRequests[first]?.body as { tools?: Array<{ function: { name: string } }> };
    assert.ok(
      offered.tools?.some((t) => t.function.name === 'fetch_url'),
      'fetch_url offered to the model',
    );
    assert.ok(
      pagesRequested.includes('/xss.html') && pagesRequested.includes('/plain.txt'),
      String(pagesRequested),
    );
    // What the model got back from each read: the page's text as untrusted data.
    for (const i of [1, 2]) {
      const body = upstream.chatRequests[first + i]?.body as { messages: Array<Record<string, unknown>> };
      assert.match(String(body.messages.at(-1)?.content), /untrusted data/);
    }

    await openAll();
    const cards = answer.locator('.tool-step');
    assert.equal(await cards.count(), 2);
    for (const card of await cards.all()) {
      assert.equal(await card.getAttribute('data-status'), 'ok');
      assert.equal(await card.locator('.tool-step-name').textContent(), 'fetch_url');
    }
    const htmlOut = (await cards.nth(0).locator('.tool-step-output').textContent()) ?? '';
    const textOut = (await cards.nth(1).locator('.tool-step-output').textContent()) ?? '';
    assert.match(htmlOut, /Reasoning models think step by step/);
    assert.ok(textOut.includes(SCRIPT) && textOut.includes(P[2] ?? '-'), textOut.slice(0, 400));
    const found = await assertInert('turn 1');
    assert.ok(found.links > 0, 'the answer has links to check');
  });

  test('turn 2: Search on, hostile results; [1]..[5] cite http(s) sources; nothing runs', async () => {
    const toggle = page.locator('form.composer').getByRole('button', { name: 'Search', exact: true });
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    const first = upstream.chatRequests.length;
    script.push({
      lines: chatStream({
        reasoning: ['\n', `The sources say a lot. ${P[6]}`],
        content: [
          'Reasoning models think first [1] [2] [3] [4] [5].\n\n',
          `${P.join('\n\n')}\n\nAgain [1], [5].`,
        ],
      }),
    });
    await composer(page).fill(`What do reasoning models do? ${P[2]}`);
    await composer(page).press('Enter');
    const answer = await settled(2);
    assert.equal(script.length, 0, 'the scripted answer was used');
    assert.ok(upstream.chatRequests.length >= first + 1);
    // The query (the model's own, or the question) is text in the card, payload and all.
    assert.match(
      (await answer.locator('.tool-step-query').textContent()) ?? '',
      /reasoning models.*<img src=x/,
    );

    const cites = await answer
      .locator('.markdown a.citation')
      .evaluateAll((els) =>
        els.map((a) => ({ href: a.getAttribute('href') ?? '', rel: a.getAttribute('rel') ?? '' })),
      );
    assert.ok(cites.length >= 5, JSON.stringify(cites));
    for (const c of cites) {
      assert.ok(c.href.startsWith(`${origin}/`), c.href);
      assert.deepEqual(c.rel.split(/\s+/).sort(), ['noopener', 'noreferrer']);
    }
    assert.equal(new Set(cites.map((c) => c.href)).size, 5);

    const sources = answer.locator('section.sources');
    await sources.waitFor();
    const items = await sources.locator('li').evaluateAll((lis) =>
      lis.map((li) => ({
        href: li.querySelector('a')?.getAttribute('href') ?? '',
        rel: li.querySelector('a')?.getAttribute('rel') ?? '',
        text: li.textContent ?? '',
      })),
    );
    assert.equal(items.length, 5, JSON.stringify(items));
    for (const item of items) {
      assert.ok(item.href.startsWith(`${origin}/`), item.href);
      assert.equal(item.rel, 'noopener noreferrer');
    }
    // The text page has no title of its own: its source is named by the search result, payload as text.
    assert.ok(
      items.some((i) => i.text.includes(SCRIPT)),
      JSON.stringify(items.map((i) => i.text)),
    );

    await openAll();
    const card = answer.locator('.tool-step');
    assert.equal(await card.count(), 1);
    assert.equal(await card.locator('.tool-step-name').textContent(), 'web_search');
    assert.equal(await card.getAttribute('data-status'), 'ok');
    await assertInert('turn 2');
  });

  test('after a reload, from what the server stored: the same, nothing runs', async () => {
    await page.reload();
    await settled(2);
    await assistants().last().locator('.markdown a.citation').first().waitFor();
    await openAll();
    assert.equal(await page.locator('.tool-step').count(), 3);
    assert.equal(await page.locator('section.sources li').count(), 5);
    await assertInert('after reload');
  });

  test('no page errors, dialogs or requests off the server', () => {
    assertQuietPage(app.watch);
  });
});
