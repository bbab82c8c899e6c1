import { renderToStaticMarkup } from 'react-dom/server';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadHighlighter, loadKatex } from './lazy-libs.ts';
import { Markdown, safeUrl } from './markdown.tsx';

const html = (text: string) => renderToStaticMarkup(<Markdown text={text} />);

/** What must never appear in rendered markup: executable tags, handlers, script URLs, fetched images. */
function assertInert(out: string): void {
  expect(out).not.toMatch(/<script|<iframe|<object|<embed|<img|<svg[^>]*onload|<style|<form|<meta|<link/i);
  // Only real tags count: raw HTML shown as escaped text (&lt;img onerror=…&gt;) is harmless.
  expect(out).not.toMatch(/<[a-z][^>]*\son[a-z]+\s*=/i);
  expect(out).not.toMatch(/(href|src|action|xlink:href)\s*=\s*"\s*(javascript|data|vbscript):/i);
}

describe('safeUrl', () => {
  test('allows http(s), mailto and fragments only', () => {
    expect(safeUrl('https://example.com/a?b=1')).toBe('https://example.com/a?b=1');
    expect(safeUrl('mailto:a@b.c')).toBe('mailto:a@b.c');
    expect(safeUrl('#user-content-fn-1')).toBe('#user-content-fn-1');
    for (const bad of [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      ' java\tscript:alert(1)',
      '\u0001javascript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'vbscript:msgbox(1)',
      '/relative',
      '//evil.example/x',
      'file:///etc/passwd',
    ]) {
      expect(safeUrl(bad), bad).toBe('');
    }
  });
});

describe('Markdown', () => {
  beforeAll(async () => {
    await Promise.all([loadKatex(), loadHighlighter()]);
  });

  test('raw HTML is never rendered as elements', () => {
    for (const src of [
      '<script>window.__xss=1</script>',
      '<img src=x onerror="window.__xss=1">',
      '<svg onload="window.__xss=1"></svg>',
      '<iframe src="javascript:alert(1)"></iframe>',
      '<a href="javascript:alert(1)">x</a>',
      '<style>body{display:none}</style>',
      '<details open ontoggle="alert(1)">',
    ]) {
      assertInert(html(src));
    }
  });

  test('markdown links and images are made safe', () => {
    const out = html(
      '[a](javascript:alert(1)) [b](https://ok.example) ![img](https://evil.example/x.png) [c][r] <javascript:alert(1)>\n\n[r]: javascript:alert(1)',
    );
    assertInert(out);
    expect(out).toContain('href="https://ok.example/"');
    expect(out).toContain('target="_blank"');
    expect(out).toContain('rel="noopener noreferrer nofollow"');
    expect(out).toContain('image: img (click to load)');
  });

  test('KaTeX renders math and refuses \\href', () => {
    const out = html('Inline $x^2$ and \\(y\\) and $$\\href{javascript:alert(1)}{click}$$');
    expect(out).toContain('class="katex"');
    assertInert(out);
    expect(out).not.toContain('href="javascript');
  });

  test('GFM tables, task lists and highlighted code with a copy button', () => {
    const out = html('| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done\n\n```js\nconst x = "<b>";\n```');
    expect(out).toContain('<table>');
    expect(out).toContain('type="checkbox"');
    expect(out).toContain('hljs-keyword');
    expect(out).toContain('&lt;b&gt;');
    expect(out).toContain('aria-label="Copy"');
  });
});
