/**
 * Titles made from the first user message, without a model call. A conversation whose stored title is
 * empty has no title yet; an automatic title is only written while it is still empty, so a title the
 * user set (at creation or by renaming) always wins.
 */

/** Longest automatic title, in characters (before the ellipsis). */
export const AUTO_TITLE_CHARS = 60;

/** The first line(s) of `content`, whitespace collapsed, cut on a word boundary to about 60 characters. */
export function makeTitle(content: string, maxChars = AUTO_TITLE_CHARS): string {
  const flat = content
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (flat === '') return 'Untitled';
  const chars = [...flat];
  if (chars.length <= maxChars) return flat;
  const cut = chars.slice(0, maxChars).join('');
  const space = cut.lastIndexOf(' ');
  // A single very long word is cut mid-word rather than leaving a title of a few characters.
  const head = space >= maxChars / 2 ? cut.slice(0, space) : cut;
  return `${head.replace(/[\s.,;:!?-]+$/, '')}…`;
}
