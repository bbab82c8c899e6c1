/**
 * A rehype plugin turning the `[n]` citations of an answer into small links to its numbered sources. It runs
 * on the sanitised tree and only splits text nodes: the `[n]` text stays text unless `n` is a known source
 * with an http(s) URL, and then becomes an `<a>` element built here (never HTML parsed from a string).
 * Text inside links, code, and math is left alone.
 */
import type { Element, ElementContent, Root, RootContent, Text } from 'hast';
import { httpUrl, type Source } from '../chat/sources.ts';

const CITATION = /\[(\d{1,2})\]/g;
const SKIP_TAGS = new Set(['a', 'code', 'pre', 'kbd', 'samp', 'script', 'style', 'svg', 'math']);
const SKIP_CLASSES = ['katex', 'katex-display', 'math-inline', 'math-display', 'language-math'];

function skipped(el: Element): boolean {
  if (SKIP_TAGS.has(el.tagName)) return true;
  const cls = el.properties?.className;
  const list: unknown[] = Array.isArray(cls) ? cls : typeof cls === 'string' ? String(cls).split(/\s+/) : [];
  return list.some((c) => typeof c === 'string' && SKIP_CLASSES.includes(c));
}

/** The text split at its known citations: text nodes and citation links, or undefined when none. */
function split(text: Text, byN: ReadonlyMap<number, Source>): ElementContent[] | undefined {
  const out: ElementContent[] = [];
  let last = 0;
  for (const m of text.value.matchAll(CITATION)) {
    const source = byN.get(Number(m[1]));
    const url = source ? httpUrl(source.url) : undefined;
    if (!source || !url || m.index === undefined) continue;
    if (m.index > last) out.push({ type: 'text', value: text.value.slice(last, m.index) });
    out.push({
      type: 'element',
      tagName: 'a',
      properties: {
        href: url.href,
        title: source.title || url.host,
        className: ['citation'],
        dataCitation: String(source.n),
      },
      children: [{ type: 'text', value: String(source.n) }],
    });
    last = m.index + m[0].length;
  }
  if (out.length === 0) return undefined;
  if (last < text.value.length) out.push({ type: 'text', value: text.value.slice(last) });
  return out;
}

/**
 * Replaces text nodes by what `splitText` makes of them (undefined: unchanged), outside links, code and
 * math. Shared with the document citations (`doc-citations.ts`).
 */
export function walkText(
  parent: Root | Element,
  splitText: (text: Text) => ElementContent[] | undefined,
): void {
  const next: (RootContent | ElementContent)[] = [];
  let changed = false;
  // Adjacent text nodes (raw HTML shown as text sits in its own node) are read as one text.
  const children: (RootContent | ElementContent)[] = [];
  for (const child of parent.children) {
    const prev = children.at(-1);
    if (child.type === 'text' && prev?.type === 'text') {
      children[children.length - 1] = { type: 'text', value: prev.value + child.value };
      changed = true;
    } else children.push(child);
  }
  for (const child of children) {
    if (child.type === 'text') {
      const parts = splitText(child);
      if (parts) {
        next.push(...parts);
        changed = true;
        continue;
      }
    } else if (child.type === 'element' && !skipped(child)) {
      walkText(child, splitText);
    }
    next.push(child);
  }
  if (changed) parent.children = next as typeof parent.children;
}

/** `[rehypeCitations, sources]` in a rehype plugin list (after rehype-sanitize). */
export function rehypeCitations(sources: readonly Source[]) {
  const byN = new Map(sources.map((s) => [s.n, s]));
  return (tree: Root) => {
    if (byN.size > 0) walkText(tree, (text) => split(text, byN));
  };
}
