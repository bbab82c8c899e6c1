/**
 * Retrieval within scopes (DocumentRetriever.retrieve): the readable files of the scopes are resolved in
 * the database on every query (access is never cached), their decrypted chunks come from the per-reader
 * cache or the store, and the query is ranked by BM25 and, when an embedding model answers, by exact
 * cosine over the files embedded with that same model; the two rankings are fused by RRF.
 */
import type { PlaintextVectorIndex } from '../../store/index.ts';
import type { DocumentFileRecord, Store } from '../../store/types.ts';
import { type CachedFile, type ChunkCache, type ChunkView, indexFile } from './chunk-cache.ts';
import { bm25Rank, fuse, normalise, type Ranked, vectorRank } from './retrieval.ts';
import type { DocumentScope, EmbedTexts, Passage } from './types.ts';

export const DEFAULT_PASSAGES = 5;
export const MAX_PASSAGES = 50;
/** How deep each ranking is read by the fusion (and asked of the plaintext index). */
const RRF_DEPTH = 50;

/** Global chunk position → its file and chunk. */
function locator(
  indexes: readonly CachedFile[],
): (index: number) => { file: CachedFile; chunk: ChunkView } | undefined {
  const starts: number[] = [];
  let offset = 0;
  for (const f of indexes) {
    starts.push(offset);
    offset += f.chunks.length;
  }
  return (index) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= index) lo = mid;
      else hi = mid - 1;
    }
    const file = indexes[lo];
    const chunk = file?.chunks[index - (starts[lo] as number)];
    return file && chunk ? { file, chunk } : undefined;
  };
}
/** Scope parts per query; more is a bug, not a request. */
const MAX_SCOPE_IDS = 200;

export interface SearchLogger {
  warn(obj: object, msg?: string): void;
}

export function citationOf(fileName: string, page: number | null, heading: string | null): string {
  if (page !== null) return `${fileName} p. ${page}`;
  if (heading) return `${fileName} § ${heading}`;
  return fileName;
}

export function toPassage(file: DocumentFileRecord, chunk: ChunkView, score: number): Passage {
  return {
    chunkId: chunk.id,
    fileId: file.id,
    fileName: file.name,
    ...(chunk.page !== null ? { page: chunk.page } : {}),
    ...(chunk.heading ? { heading: chunk.heading } : {}),
    text: chunk.text,
    score,
    citation: citationOf(file.name, chunk.page, chunk.heading),
  };
}

export interface SearchRequest {
  scopes: DocumentScope[];
  query: string;
  limit?: number;
  signal?: AbortSignal;
  /** Which rankings to use. Default `hybrid`; `keyword` / `vector` alone for diagnosis and tests. */
  mode?: 'hybrid' | 'keyword' | 'vector';
}

export class HybridSearch {
  constructor(
    private readonly o: {
      store: Store;
      cache: ChunkCache;
      embed?: EmbedTexts;
      logger?: SearchLogger;
      /** The opt-in plaintext index: vectors of shared collections are looked up there. */
      vectorIndex?: PlaintextVectorIndex;
    },
  ) {}

  /** Readable files of the scopes' union, oldest first. */
  async files(userId: string, scopes: readonly DocumentScope[]): Promise<DocumentFileRecord[]> {
    const conversationIds: string[] = [];
    const collectionIds: string[] = [];
    const fileIds: string[] = [];
    for (const s of scopes) {
      if (s.kind === 'conversation') conversationIds.push(s.conversationId);
      else if (s.kind === 'collection') collectionIds.push(s.collectionId);
      else if (s.kind === 'files') fileIds.push(...s.fileIds);
      else s satisfies never;
    }
    return this.o.store.documents.selectFiles(userId, {
      conversationIds: conversationIds.slice(0, MAX_SCOPE_IDS),
      collectionIds: collectionIds.slice(0, MAX_SCOPE_IDS),
      fileIds: fileIds.slice(0, MAX_SCOPE_IDS),
    });
  }

  /** The files' search indexes, from the per-reader cache or decrypted from the store. */
  async indexes(userId: string, files: readonly DocumentFileRecord[]): Promise<CachedFile[]> {
    const out: CachedFile[] = [];
    const scope = new Set(files.map((f) => f.id));
    for (const file of files) {
      let entry = this.o.cache.get(userId, file.id);
      if (!entry) {
        const records = await this.o.store.documents.chunks(file.id, userId);
        if (!records) continue;
        entry = indexFile(file, records);
        this.o.cache.set(userId, entry, scope);
      }
      out.push(entry);
    }
    return out;
  }

  /** Indexes a new upload into its owner's cache, so their first query does not pay for it. */
  async warm(userId: string, file: DocumentFileRecord): Promise<void> {
    const records = await this.o.store.documents.chunks(file.id, userId);
    if (records) this.o.cache.set(userId, indexFile(file, records));
  }

  async retrieve(userId: string, q: SearchRequest): Promise<Passage[]> {
    return (await this.search(userId, q)).passages;
  }

  /** `retrieve`, telling also whether the vector ranking took part (`vector: false`: keyword only). */
  async search(userId: string, q: SearchRequest): Promise<{ passages: Passage[]; vector: boolean }> {
    const limit = Math.min(
      Math.max(1, Math.trunc(q.limit ?? DEFAULT_PASSAGES) || DEFAULT_PASSAGES),
      MAX_PASSAGES,
    );
    const query = q.query.trim();
    const mode = q.mode ?? 'hybrid';
    if (query === '') return { passages: [], vector: false };
    const files = await this.files(userId, q.scopes);
    if (files.length === 0) return { passages: [], vector: false };
    const indexes = await this.indexes(userId, files);
    const lists = mode === 'vector' ? [] : [bm25Rank(indexes, query)];
    const vector = mode === 'keyword' ? null : await this.queryVector(query, files, q.signal);
    if (vector) {
      const inIndex = await this.indexedCollections(userId, files);
      const exact = vectorRank(
        indexes,
        vector.vector,
        (f) => f.file.embeddingModel === vector.model && !inIndex.has(f.file.collectionId ?? ''),
        RRF_DEPTH,
      );
      const looked = await this.lookUp(inIndex, indexes, vector);
      lists.push([...exact, ...looked].sort((a, b) => b.score - a.score));
    }
    const locate = locator(indexes);
    const passages = fuse(lists, RRF_DEPTH)
      .slice(0, limit)
      .flatMap(({ index, score }) => {
        const hit = locate(index);
        return hit ? [toPassage(hit.file.file, hit.chunk, score)] : [];
      });
    return { passages, vector: vector !== null };
  }

  /** Shared collections among the files' collections: with the plaintext index on, they are looked up there. */
  private async indexedCollections(
    userId: string,
    files: readonly DocumentFileRecord[],
  ): Promise<Set<string>> {
    const out = new Set<string>();
    if (!this.o.vectorIndex) return out;
    for (const id of new Set(files.map((f) => f.collectionId).filter((c): c is string => c !== null))) {
      if ((await this.o.store.documents.getCollection(id, userId))?.shared) out.add(id);
    }
    return out;
  }

  /** Nearest chunks of the indexed collections (files embedded with the query's model only). */
  private async lookUp(
    collections: Set<string>,
    indexes: readonly CachedFile[],
    vector: { model: string; vector: Float32Array },
  ): Promise<Ranked[]> {
    if (!this.o.vectorIndex || collections.size === 0) return [];
    const position = new Map<string, number>();
    let offset = 0;
    for (const f of indexes) {
      if (f.file.embeddingModel === vector.model) {
        for (const [i, c] of f.chunks.entries()) position.set(c.id, offset + i);
      }
      offset += f.chunks.length;
    }
    try {
      const hits = await this.o.vectorIndex.search([...collections], vector.vector, RRF_DEPTH);
      return hits.flatMap((h) => {
        const index = position.get(h.chunkId);
        return index === undefined ? [] : [{ index, score: h.score }];
      });
    } catch (err) {
      this.o.logger?.warn(
        { err: { name: (err as Error)?.name } },
        'documents: the plaintext vector index failed',
      );
      return [];
    }
  }

  /**
   * The query's embedding with the model the scope's files were embedded with; `null` (keyword only)
   * when none are embedded, no embedding model answers, or models differ. Never fails the query.
   */
  private async queryVector(
    query: string,
    files: readonly DocumentFileRecord[],
    signal?: AbortSignal,
  ): Promise<{ model: string; vector: Float32Array } | null> {
    if (!this.o.embed || !files.some((f) => f.embeddingModel !== null)) return null;
    try {
      const result = await this.o.embed([query], signal ?? new AbortController().signal);
      const v = result.vectors[0];
      if (!v || !files.some((f) => f.embeddingModel === result.model)) return null;
      return { model: result.model, vector: normalise(v) };
    } catch (err) {
      if (signal?.aborted) throw err;
      this.o.logger?.warn(
        { err: { name: (err as Error)?.name, code: (err as { code?: unknown })?.code } },
        'documents: query embedding failed; keyword search only',
      );
      return null;
    }
  }
}
