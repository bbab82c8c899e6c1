/**
 * Search over encrypted text with a blind index: for each word of a title or message we store
 * HMAC-SHA256(user's search key, token), never the word. The owner's query is hashed the same way and
 * matched by equality.
 *
 * Trade-off (documented in docs): someone holding the database sees which rows share a token and how
 * often tokens repeat (equality and frequency), but not the words; the HMAC key is derived from the
 * user's data key, which the database alone cannot unwrap, and differs per user, so equal words of two
 * users do not collide. Prefix tokens (≥ 3 chars) make prefix search work and leak word-length hints.
 */

/** Prefixes are indexed from this length up to `MAX_PREFIX` characters. */
export const MIN_PREFIX = 3;
export const MAX_PREFIX = 24;
/** Words longer than this are truncated before hashing (a 10 kB "word" must not create 10 k tokens). */
export const MAX_TOKEN = 64;

/** Lowercased, NFKC-normalised words (letters, marks and digits; everything else separates). */
export function words(text: string): string[] {
  const normal = text.normalize('NFKC').toLowerCase();
  const out: string[] = [];
  for (const match of normal.matchAll(/[\p{L}\p{M}\p{N}]+/gu)) {
    out.push([...match[0]].slice(0, MAX_TOKEN).join(''));
  }
  return out;
}

/** Every token to index for `text`: each distinct word and its prefixes of length MIN_PREFIX..MAX_PREFIX. */
export function indexTokens(text: string): Set<string> {
  const tokens = new Set<string>();
  for (const word of words(text)) {
    tokens.add(word);
    const chars = [...word];
    for (let n = MIN_PREFIX; n < chars.length && n <= MAX_PREFIX; n++) tokens.add(chars.slice(0, n).join(''));
  }
  return tokens;
}

/**
 * Tokens to look up for a query: its distinct words. A query word longer than MAX_PREFIX matches only
 * whole words, so it is searched as itself (an exact token).
 */
export function queryTokens(query: string): string[] {
  return [...new Set(words(query))];
}

/** A ≤ `width`-char excerpt of `text` around the first occurrence of any query word. */
export function snippet(text: string, query: string, width = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const lower = flat.normalize('NFKC').toLowerCase();
  let at = -1;
  for (const w of queryTokens(query)) {
    const i = lower.indexOf(w);
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  // NFKC can change lengths; the position is a good-enough anchor for an excerpt.
  if (flat.length <= width) return flat;
  const start = Math.max(0, Math.min(at < 0 ? 0 : at - Math.floor(width / 3), flat.length - width));
  const chars = flat.slice(start, start + width);
  return `${start > 0 ? '…' : ''}${chars}${start + width < flat.length ? '…' : ''}`;
}
