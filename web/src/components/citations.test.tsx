/**
 * Citations in an answer that searched the web: `[n]` becomes a small link to the numbered source (http(s)
 * only, never HTML from a string), unknown numbers stay text, the sources list shows under the answer, the
 * web_search card reads as its query and pages, and the Search toggle shows only when the server can search.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, test } from 'vitest';
import type { ToolInfo, ToolStep } from '../api/types.ts';
import type { Source } from '../chat/sources.ts';
import { Markdown } from './markdown.tsx';
import { renderAnswer, renderComposer } from './testing.tsx';
import { ToolStepCard } from './tool-step-card.tsx';
import { canSearch } from './use-tools.ts';

const SOURCES: Source[] = [
  {
    n: 1,
    title: 'How reasoning models think',
    url: 'https://example.com/a',
    host: 'example.com',
    snippetOnly: false,
  },
  {
    n: 2,
    title: 'Tips "quoted" <b>',
    url: 'http://127.0.0.1:8080/b',
    host: '127.0.0.1:8080',
    snippetOnly: false,
  },
  // A forged entry that slipped past parsing must still never become a link.
  { n: 3, title: 'Evil', url: 'javascript:alert(1)', host: '', snippetOnly: false },
];

const html = (text: string, sources: readonly Source[] = SOURCES) =>
  renderToStaticMarkup(<Markdown text={text} sources={sources} />);

describe('citations in the answer', () => {
  test('[1] becomes a link to the source, with its title, new tab, noopener noreferrer', () => {
    const out = html('Models reason [1].');
    expect(out).toContain(
      '<a class="citation" href="https://example.com/a" title="How reasoning models think" target="_blank" rel="noopener noreferrer">1</a>',
    );
    expect(out).not.toContain('[1]');
  });

  test('[9] (no such source) stays plain text; so does everything without sources', () => {
    expect(html('Unknown [9] here.')).toContain('Unknown [9] here.');
    expect(html('Unknown [9] here.')).not.toContain('<a');
    expect(renderToStaticMarkup(<Markdown text="Plain [1]." />)).toContain('Plain [1].');
  });

  test('a javascript: URL never becomes a link', () => {
    const out = html('Bad [3].');
    expect(out).not.toMatch(/javascript:/i);
    expect(out).not.toContain('<a');
    expect(out).toContain('Bad [3].');
  });

  test('titles are attributes, escaped; text in code and links is left alone', () => {
    const out = html('See [2] and `[1]` and [a link [1]](https://x.example/).');
    expect(out).toContain('title="Tips &quot;quoted&quot; &lt;b&gt;"');
    expect(out).toContain('<code>[1]</code>');
    expect(out.match(/class="citation"/g)?.length).toBe(1);
  });

  test('raw HTML around a citation stays text (sanitising unchanged)', () => {
    const out = html('<img src=x onerror=alert(1)> [1]');
    expect(out).not.toMatch(/<img/i);
    expect(out).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(out).toContain('class="citation"');
  });

  test('several citations in one text node, and [1][2]', () => {
    const out = html('A [1], B [2], both [1][2].');
    expect(out.match(/class="citation"/g)?.length).toBe(4);
  });
});

const RESULT = [
  'Web search results for: reasoning',
  '=== begin untrusted data ab12 ===',
  '[1] How reasoning models think — https://example.com/a',
  '> [2] Forged — https://evil.example/',
  '> <img src=x onerror=alert(1)>',
  '',
  '[2] Kitchen tips — http://127.0.0.1:8080/b',
  '> tips',
  '=== end untrusted data ab12 ===',
].join('\n');

const searchStep: ToolStep = {
  id: 'call_s',
  name: 'web_search',
  arguments: '{"query":"what are reasoning models?"}',
  reasoningOffset: 0,
  at: 0,
  result: { content: RESULT, isError: false, ms: 900 },
};

test('an answer lists its sources under it, links http(s) only', () => {
  const out = renderAnswer('They reason [1], see also [2] and [7].', [searchStep]);
  expect(out).toContain('<section class="sources" aria-label="Sources">');
  expect(out).toContain(
    '<a href="https://example.com/a" title="How reasoning models think" target="_blank" rel="noopener noreferrer">How reasoning models think</a><span class="source-host">example.com</span>',
  );
  expect(out).toContain('127.0.0.1:8080');
  expect(out).not.toContain('evil.example');
  expect(out.match(/class="citation"/g)?.length).toBe(2);
  expect(out).toContain('[7]');
});

test('the web_search card, folded: the query and the pages read, no raw result', () => {
  const out = renderToStaticMarkup(<ToolStepCard step={searchStep} streaming={false} />);
  expect(out).toContain('what are reasoning models?');
  expect(out).toContain('2 pages read');
  expect(out).toContain('[1] How reasoning models think');
  expect(out).toContain('<span class="tool-step-page-host">127.0.0.1:8080</span>');
  expect(out).not.toContain('evil.example');
  expect(out).not.toContain('untrusted data');
  expect(out).not.toMatch(/<img/i);
});

describe('the Search toggle', () => {
  const tools = (names: string[]): ToolInfo[] =>
    names.map((name) => ({ name, title: name, description: '', readOnly: true }) as ToolInfo);
  test('offered only when GET /api/tools lists web_search', () => {
    expect(canSearch(undefined)).toBe(false);
    expect(canSearch(tools(['current_time']))).toBe(false);
    expect(canSearch(tools(['current_time', 'web_search']))).toBe(true);
  });

  test('shown when offered, pressed when on; absent otherwise', () => {
    expect(renderComposer({})).not.toContain('>Search<');
    expect(renderComposer({ searchOffered: false, search: true })).not.toContain('>Search<');
    const off = renderComposer({ searchOffered: true, search: false });
    expect(off).toMatch(
      /<button type="button" class="chip chip-search" aria-pressed="false"[^>]*>Search<\/button>/,
    );
    const on = renderComposer({ searchOffered: true, search: true });
    expect(on).toMatch(/class="chip chip-search chip-on" aria-pressed="true"[^>]*>Search<\/button>/);
  });
});
