/**
 * A rehype plugin turning the `[report.pdf p. 3]` citations of an answer into buttons that open the passage
 * (issue 13). It runs on the sanitised tree and only splits text nodes: `[label]` stays text unless the label
 * is one the answer's `search_documents` steps listed; then it becomes a `<button>` element built here
 * (never HTML parsed from a string) carrying the label and its chunk ids as data attributes.
 */
import type { ElementContent, Root, Text } from 'hast';
import type { DocPassage } from '../chat/passages.ts';
import { walkText } from './citations.ts';

const BRACKETED = /\[([^[\]\n]{1,160})\]/g;

function split(
  text: Text,
  byLabel: ReadonlyMap<string, readonly DocPassage[]>,
): ElementContent[] | undefined {
  const out: ElementContent[] = [];
  let last = 0;
  for (const m of text.value.matchAll(BRACKETED)) {
    const label = m[1]?.trim() ?? '';
    const passages = byLabel.get(label);
    if (!passages || m.index === undefined) continue;
    if (m.index > last) out.push({ type: 'text', value: text.value.slice(last, m.index) });
    out.push({
      type: 'element',
      tagName: 'button',
      properties: {
        type: 'button',
        className: ['doc-citation'],
        dataLabel: label,
        dataChunks: passages.flatMap((p) => (p.chunkId ? [p.chunkId] : [])).join(' '),
      },
      children: [{ type: 'text', value: label }],
    });
    last = m.index + m[0].length;
  }
  if (out.length === 0) return undefined;
  if (last < text.value.length) out.push({ type: 'text', value: text.value.slice(last) });
  return out;
}

/** `[rehypeDocCitations, passages]` in a rehype plugin list (after rehype-sanitize). */
export function rehypeDocCitations(byLabel: ReadonlyMap<string, readonly DocPassage[]>) {
  return (tree: Root) => {
    if (byLabel.size > 0) walkText(tree, (text) => split(text, byLabel));
  };
}
