/**
 * Decrypted chunks kept in memory between queries, per reader, as a search-ready file index: the chunk
 * texts, one contiguous float32 matrix of the vectors, and an inverted index of the words (postings).
 * Bounded per reader and in total (LRU by approximate bytes). Files are immutable once uploaded, so an
 * entry never goes stale; a deleted file is dropped here, and every query re-checks in the database which
 * files the reader may see before it looks here, so an entry that outlives its file (on another instance)
 * is never served. Nothing here is ever written anywhere.
 */
import type { DocumentChunkRecord, DocumentFileRecord } from '../../store/types.ts';
import { tokenize } from './retrieval.ts';

/** A chunk as a passage needs it (its vector lives in the file's matrix). */
export interface ChunkView {
  id: string;
  page: number | null;
  heading: string | null;
  text: string;
}

export interface CachedFile {
  file: DocumentFileRecord;
  chunks: ChunkView[];
  /** Row-major `chunks.length × dims`; null when the file has no vectors. */
  vectors: Float32Array | null;
  dims: number;
  /** The file's words: term → term id. */
  terms: Map<string, number>;
  /** Postings by term id (CSR): `entries[2k]` = chunk, `entries[2k+1]` = term frequency, for k in
   *  `termStart[id] .. termStart[id + 1]`. */
  termStart: Int32Array;
  entries: Int32Array;
  /** Tokens per chunk (BM25's document length). */
  lengths: Int32Array;
  bytes: number;
}

export interface ChunkCacheOptions {
  /** Bytes of decrypted text, vectors and postings kept per reader. Default 256 MiB (10,000 chunks with
   *  1,024-d vectors take ~100 MiB). */
  maxBytesPerUser?: number;
  /** Bytes kept for all readers together. Default 1 GiB. */
  maxBytes?: number;
}

export function indexFile(file: DocumentFileRecord, records: readonly DocumentChunkRecord[]): CachedFile {
  const dims = records.find((r) => r.vector)?.vector?.length ?? 0;
  const vectors = dims > 0 ? new Float32Array(records.length * dims) : null;
  const terms = new Map<string, number>();
  const lengths = new Int32Array(records.length);
  // (term id, chunk, tf) triples, then a counting sort by term id into CSR form.
  let triples = new Int32Array(Math.max(16, records.length * 3 * 64));
  let used = 0;
  let textBytes = 0;
  const chunks = records.map((r, chunk) => {
    if (vectors && r.vector?.length === dims) vectors.set(r.vector, chunk * dims);
    const words = tokenize(r.heading ? `${r.heading}\n${r.text}` : r.text);
    lengths[chunk] = words.length;
    const ids = new Int32Array(words.length);
    words.forEach((w, i) => {
      let id = terms.get(w);
      if (id === undefined) {
        id = terms.size;
        terms.set(w, id);
      }
      ids[i] = id;
    });
    ids.sort();
    for (let i = 0; i < ids.length; ) {
      let j = i + 1;
      while (j < ids.length && ids[j] === ids[i]) j++;
      if (used + 3 > triples.length) {
        const bigger = new Int32Array(triples.length * 2);
        bigger.set(triples);
        triples = bigger;
      }
      triples[used++] = ids[i] as number;
      triples[used++] = chunk;
      triples[used++] = j - i;
      i = j;
    }
    textBytes += r.text.length * 2 + (r.heading?.length ?? 0) * 2;
    return { id: r.id, page: r.page, heading: r.heading, text: r.text };
  });
  const termStart = new Int32Array(terms.size + 1);
  for (let k = 0; k < used; k += 3) {
    const next = (triples[k] as number) + 1;
    termStart[next] = (termStart[next] as number) + 1;
  }
  for (let t = 0; t < terms.size; t++)
    termStart[t + 1] = (termStart[t + 1] as number) + (termStart[t] as number);
  const fill = termStart.slice(0, terms.size);
  const entries = new Int32Array((used / 3) * 2);
  for (let k = 0; k < used; k += 3) {
    const term = triples[k] as number;
    const slot = fill[term] as number;
    fill[term] = slot + 1;
    const at = slot * 2;
    entries[at] = triples[k + 1] as number;
    entries[at + 1] = triples[k + 2] as number;
  }
  let termBytes = 0;
  for (const t of terms.keys()) termBytes += t.length * 2 + 48;
  return {
    file,
    chunks,
    vectors,
    dims,
    terms,
    termStart,
    entries,
    lengths,
    bytes:
      textBytes +
      (vectors?.byteLength ?? 0) +
      entries.byteLength +
      termStart.byteLength +
      termBytes +
      records.length * 120,
  };
}

export class ChunkCache {
  readonly #users = new Map<string, { files: Map<string, CachedFile>; bytes: number }>();
  readonly #maxPerUser: number;
  readonly #max: number;
  #bytes = 0;

  constructor(options: ChunkCacheOptions = {}) {
    this.#maxPerUser = options.maxBytesPerUser ?? 256 * 1024 * 1024;
    this.#max = options.maxBytes ?? 1024 * 1024 * 1024;
  }

  get(userId: string, fileId: string): CachedFile | undefined {
    const user = this.#users.get(userId);
    const hit = user?.files.get(fileId);
    if (!user || !hit) return undefined;
    this.#users.delete(userId);
    this.#users.set(userId, user);
    user.files.delete(fileId);
    user.files.set(fileId, hit);
    return hit;
  }

  /**
   * Keeps `entry` for `userId`, evicting this reader's least recent files, then other readers', but never
   * a file in `keep` (the rest of the current query's scope): when those alone fill the budget, the entry
   * is not kept, so a scope larger than the budget keeps a stable part cached instead of evicting itself.
   */
  set(userId: string, entry: CachedFile, keep: ReadonlySet<string> = new Set()): void {
    if (entry.bytes > this.#maxPerUser || entry.bytes > this.#max) return;
    let user = this.#users.get(userId);
    if (user) this.#users.delete(userId);
    else user = { files: new Map(), bytes: 0 };
    this.#users.set(userId, user);
    const old = user.files.get(entry.file.id);
    if (old) this.#forget(user, entry.file.id, old);
    for (const [id, f] of user.files) {
      if (user.bytes + entry.bytes <= this.#maxPerUser) break;
      if (!keep.has(id)) this.#forget(user, id, f);
    }
    for (const [id, other] of this.#users) {
      if (this.#bytes + entry.bytes <= this.#max) break;
      if (other === user) continue;
      for (const [fid, f] of other.files) {
        if (this.#bytes + entry.bytes <= this.#max) break;
        this.#forget(other, fid, f);
      }
      if (other.files.size === 0) this.#users.delete(id);
    }
    if (user.bytes + entry.bytes > this.#maxPerUser || this.#bytes + entry.bytes > this.#max) return;
    user.files.set(entry.file.id, entry);
    user.bytes += entry.bytes;
    this.#bytes += entry.bytes;
  }

  #forget(user: { files: Map<string, CachedFile>; bytes: number }, fileId: string, f: CachedFile): void {
    user.files.delete(fileId);
    user.bytes -= f.bytes;
    this.#bytes -= f.bytes;
  }

  /** Drops a file from every reader (deleted, or its collection deleted). */
  dropFile(fileId: string): void {
    for (const user of this.#users.values()) {
      const f = user.files.get(fileId);
      if (f) this.#forget(user, fileId, f);
    }
  }

  dropUser(userId: string): void {
    const user = this.#users.get(userId);
    if (!user) return;
    this.#bytes -= user.bytes;
    this.#users.delete(userId);
  }

  clear(): void {
    this.#users.clear();
    this.#bytes = 0;
  }
}
