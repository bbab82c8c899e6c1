/**
 * Hybrid retrieval over decrypted chunks held in memory: BM25 keyword scores from each file's postings
 * and exact cosine similarity over each file's vector matrix (vectors are L2-normalised, so a dot
 * product), fused by reciprocal rank fusion. Exact search over a user's chunks is cheap (10,000 × 1,024
 * dims is ~10 M multiply-adds), which is what lets the index stay encrypted at rest: nothing is
 * precomputed in the database. Chunks are addressed by their position in the files' concatenation.
 */
import type { CachedFile } from './chunk-cache.ts';

const BM25_K1 = 1.2;
const BM25_B = 0.75;
/** RRF's k: ranks beyond the first few matter little (Cormack et al. 2009 use 60). */
export const RRF_K = 60;

export interface Ranked {
  index: number;
  score: number;
}

const CJK = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]/u;
const ASCII = /^[\x00-\x7f]*$/;

/**
 * Lowercased NFKC words of letters/digits; CJK runs (no spaces between words) become single characters
 * plus bigrams so a two-character word still matches. ASCII text takes a fast path.
 */
export function tokenize(text: string): string[] {
  if (ASCII.test(text)) {
    return (text.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter((w) => w.length <= 64);
  }
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

/** Chunks (global positions) ranked by BM25 for `query`, best first; only those matching a term. */
export function bm25Rank(files: readonly CachedFile[], query: string): Ranked[] {
  const terms = [...new Set(tokenize(query))];
  let n = 0;
  let total = 0;
  for (const f of files) {
    n += f.lengths.length;
    for (const l of f.lengths) total += l;
  }
  if (terms.length === 0 || n === 0) return [];
  const avg = total / n || 1;
  const scores = new Float64Array(n);
  const touched: number[] = [];
  for (const t of terms) {
    const ids = files.map((f) => f.terms.get(t));
    let df = 0;
    files.forEach((f, i) => {
      const id = ids[i];
      if (id !== undefined) df += (f.termStart[id + 1] as number) - (f.termStart[id] as number);
    });
    if (df === 0) continue;
    const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
    let offset = 0;
    files.forEach((f, fi) => {
      const id = ids[fi];
      if (id !== undefined) {
        const end = (f.termStart[id + 1] as number) * 2;
        for (let k = (f.termStart[id] as number) * 2; k < end; k += 2) {
          const chunk = f.entries[k] as number;
          const tf = f.entries[k + 1] as number;
          const len = f.lengths[chunk] as number;
          const at = offset + chunk;
          if (scores[at] === 0) touched.push(at);
          scores[at] =
            (scores[at] as number) +
            (idf * tf * (BM25_K1 + 1)) / (tf + BM25_K1 * (1 - BM25_B + (BM25_B * len) / avg));
        }
      }
      offset += f.lengths.length;
    });
  }
  return touched
    .map((index) => ({ index, score: scores[index] as number }))
    .sort((a, b) => b.score - a.score);
}

/** Chunks of the `eligible` files ranked by cosine similarity to `query` (both normalised), best first. */
export function vectorRank(
  files: readonly CachedFile[],
  query: Float32Array,
  eligible: (file: CachedFile) => boolean,
  depth = 50,
): Ranked[] {
  const best: Ranked[] = [];
  let offset = 0;
  for (const f of files) {
    const m = f.vectors;
    if (m && f.dims === query.length && eligible(f)) {
      const dims = f.dims;
      for (let row = 0; row < f.chunks.length; row++) {
        let dot = 0;
        const base = row * dims;
        for (let i = 0; i < dims; i++) dot += (m[base + i] as number) * (query[i] as number);
        best.push({ index: offset + row, score: dot });
      }
    }
    offset += f.chunks.length;
  }
  return best.sort((a, b) => b.score - a.score).slice(0, Math.max(depth, 1));
}

/** Reciprocal rank fusion of ranked lists (each cut at `depth`): Σ 1 / (k + rank). */
export function fuse(lists: ReadonlyArray<ReadonlyArray<{ index: number }>>, depth = 50): Ranked[] {
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
