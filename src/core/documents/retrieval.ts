/**
 * Hybrid retrieval over decrypted chunks held in memory: BM25 keyword scores and exact cosine
 * similarity (vectors are L2-normalised, so a dot product), fused by reciprocal rank fusion. Exact
 * search over a user's chunks is cheap (10,000 × 384 dims is ~4 M multiply-adds), which is what lets
 * the index stay encrypted at rest: nothing is precomputed in the database.
 */

/** A chunk as retrieval sees it: its text's term counts and its vector. */
export interface IndexedChunk {
  id: string;
  terms: Map<string, number>;
  length: number;
  vector: Float32Array | null;
}

const BM25_K1 = 1.2;
const BM25_B = 0.75;
/** RRF's k: ranks beyond the first few matter little (Cormack et al. 2009 use 60). */
export const RRF_K = 60;

const CJK = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]/u;

/**
 * Lowercased NFKC words of letters/digits; CJK runs (no spaces between words) become single
 * characters plus bigrams so a two-character word still matches.
 */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const word of text
    .normalize('NFKC')
    .toLowerCase()
    .match(/[\p{L}\p{N}\p{M}]+/gu) ?? []) {
    if (!CJK.test(word)) {
      if (word.length <= 64) out.push(word);
      continue;
    }
    const chars = [...word];
    for (let i = 0; i < chars.length; i++) {
      out.push(chars[i] as string);
      if (i + 1 < chars.length) out.push((chars[i] as string) + chars[i + 1]);
    }
  }
  return out;
}

export function termCounts(text: string): { terms: Map<string, number>; length: number } {
  const terms = new Map<string, number>();
  const tokens = tokenize(text);
  for (const t of tokens) terms.set(t, (terms.get(t) ?? 0) + 1);
  return { terms, length: tokens.length };
}

/** Chunk indices ranked by BM25 for `query`, best first, only those matching at least one term. */
export function bm25Rank(
  chunks: readonly IndexedChunk[],
  query: string,
): Array<{ index: number; score: number }> {
  const terms = [...new Set(tokenize(query))];
  if (terms.length === 0 || chunks.length === 0) return [];
  const n = chunks.length;
  let total = 0;
  for (const c of chunks) total += c.length;
  const avg = total / n || 1;
  const idf = new Map<string, number>();
  for (const t of terms) {
    let df = 0;
    for (const c of chunks) if (c.terms.has(t)) df++;
    if (df > 0) idf.set(t, Math.log(1 + (n - df + 0.5) / (df + 0.5)));
  }
  const ranked: Array<{ index: number; score: number }> = [];
  chunks.forEach((c, index) => {
    let score = 0;
    for (const [t, w] of idf) {
      const tf = c.terms.get(t);
      if (!tf) continue;
      score += (w * tf * (BM25_K1 + 1)) / (tf + BM25_K1 * (1 - BM25_B + (BM25_B * c.length) / avg));
    }
    if (score > 0) ranked.push({ index, score });
  });
  return ranked.sort((a, b) => b.score - a.score);
}

/** Chunk indices ranked by cosine similarity to `query` (both normalised), best first. */
export function vectorRank(
  chunks: readonly IndexedChunk[],
  query: Float32Array,
): Array<{ index: number; score: number }> {
  const ranked: Array<{ index: number; score: number }> = [];
  chunks.forEach((c, index) => {
    const v = c.vector;
    if (!v || v.length !== query.length) return;
    let dot = 0;
    for (let i = 0; i < v.length; i++) dot += (v[i] as number) * (query[i] as number);
    ranked.push({ index, score: dot });
  });
  return ranked.sort((a, b) => b.score - a.score);
}

/** Reciprocal rank fusion of ranked lists (each cut at `depth`): Σ 1 / (k + rank). */
export function fuse(
  lists: ReadonlyArray<ReadonlyArray<{ index: number }>>,
  depth = 50,
): Array<{ index: number; score: number }> {
  const scores = new Map<number, number>();
  for (const list of lists) {
    list.slice(0, depth).forEach(({ index }, rank) => {
      scores.set(index, (scores.get(index) ?? 0) + 1 / (RRF_K + rank + 1));
    });
  }
  return [...scores]
    .map(([index, score]) => ({ index, score }))
    .sort((a, b) => b.score - a.score || a.index - b.index);
}

/** L2-normalised copy (vectors from upstreams are normalised already; this makes sure). */
export function normalise(v: Float32Array): Float32Array {
  let sum = 0;
  for (const x of v) sum += x * x;
  const n = Math.sqrt(sum) || 1;
  return v.map((x) => x / n);
}
