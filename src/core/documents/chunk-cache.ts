/**
 * Decrypted chunks kept in memory between queries, per reader: a bounded LRU of users, each with a
 * bounded LRU of files (by approximate bytes of text and vectors). Files are immutable once uploaded, so
 * an entry never goes stale; a deleted file is dropped here, and every query re-checks in the database
 * which files the reader may see before it looks here, so an entry that outlives its file (on another
 * instance) is never served. Nothing here is ever written anywhere.
 */
import type { DocumentChunkRecord, DocumentFileRecord } from '../../store/types.ts';
import { type IndexedChunk, termCounts } from './retrieval.ts';

export interface CachedChunk extends IndexedChunk {
  record: DocumentChunkRecord;
}

export interface CachedFile {
  file: DocumentFileRecord;
  chunks: CachedChunk[];
  bytes: number;
}

export interface ChunkCacheOptions {
  /** Readers kept. Default 256. */
  maxUsers?: number;
  /** Bytes of decrypted text and vectors kept per reader. Default 64 MiB. */
  maxBytesPerUser?: number;
}

export function indexFile(file: DocumentFileRecord, records: DocumentChunkRecord[]): CachedFile {
  let bytes = 0;
  const chunks = records.map((record) => {
    const { terms, length } = termCounts(record.heading ? `${record.heading}\n${record.text}` : record.text);
    bytes += record.text.length * 2 + (record.vector?.byteLength ?? 0) + terms.size * 48;
    return { id: record.id, terms, length, vector: record.vector, record };
  });
  return { file, chunks, bytes };
}

export class ChunkCache {
  readonly #users = new Map<string, { files: Map<string, CachedFile>; bytes: number }>();
  readonly #maxUsers: number;
  readonly #maxBytes: number;

  constructor(options: ChunkCacheOptions = {}) {
    this.#maxUsers = options.maxUsers ?? 256;
    this.#maxBytes = options.maxBytesPerUser ?? 64 * 1024 * 1024;
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

  set(userId: string, entry: CachedFile): void {
    if (entry.bytes > this.#maxBytes) return;
    let user = this.#users.get(userId);
    if (user) this.#users.delete(userId);
    else user = { files: new Map(), bytes: 0 };
    this.#users.set(userId, user);
    const old = user.files.get(entry.file.id);
    if (old) user.bytes -= old.bytes;
    user.files.set(entry.file.id, entry);
    user.bytes += entry.bytes;
    for (const [id, f] of user.files) {
      if (user.bytes <= this.#maxBytes) break;
      user.files.delete(id);
      user.bytes -= f.bytes;
    }
    while (this.#users.size > this.#maxUsers) {
      const oldest = this.#users.keys().next().value;
      if (oldest === undefined) break;
      this.#users.delete(oldest);
    }
  }

  /** Drops a file from every reader (deleted, or its collection deleted). */
  dropFile(fileId: string): void {
    for (const user of this.#users.values()) {
      const f = user.files.get(fileId);
      if (f) {
        user.files.delete(fileId);
        user.bytes -= f.bytes;
      }
    }
  }

  dropUser(userId: string): void {
    this.#users.delete(userId);
  }

  clear(): void {
    this.#users.clear();
  }
}
