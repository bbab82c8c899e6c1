/**
 * Documents (issue 13): uploads into a conversation, a collection or as a draft; collections (an admin
 * may share one with everyone); plan limits; and retrieval (DocumentRetriever) for the turn pipeline.
 *
 * At rest everything with content is encrypted under the owner's data key (the store). To search it,
 * a scope's chunks are decrypted into a bounded per-reader memory cache and searched exactly (BM25 +
 * cosine, fused); no plaintext index exists unless an operator opts in (see README "at-rest design").
 */
import {
  chunkSections,
  DEFAULT_PARSE_LIMITS,
  type DocumentKind,
  estimateTokens,
  type ParsedDocument,
  type ParseLimits,
  sanitiseFileName,
} from '../../inference/documents/index.ts';
import { StoreError } from '../../store/errors.ts';
import type { PlaintextVectorIndex } from '../../store/index.ts';
import type {
  DocumentChunkInput,
  DocumentCollectionRecord,
  DocumentFileRecord,
  Store,
} from '../../store/types.ts';
import type { PlanCatalog } from '../quotas/plans.ts';
import { ChunkCache, type ChunkCacheOptions } from './chunk-cache.ts';
import { DocumentServiceError } from './errors.ts';
import { HybridSearch, type SearchLogger, type SearchRequest, toPassage } from './hybrid-search.ts';
import { type DocumentLimits, documentLimits } from './limits.ts';
import { normalise } from './retrieval.ts';
import type { DocumentRetriever, DocumentScope, EmbedTexts, Passage } from './types.ts';

/** Parses bytes into text sections; the server passes the isolated (child process) parser. */
export type ParseUpload = (
  name: string,
  bytes: Uint8Array,
  limits: ParseLimits,
  signal?: AbortSignal,
) => Promise<ParsedDocument>;

export interface DocumentUser {
  id: string;
  plan: string;
  isAdmin: boolean;
}

export interface DocumentServiceOptions {
  store: Store;
  plans: PlanCatalog;
  parse: ParseUpload;
  /** Absent: files are stored without vectors and searched by keyword only. */
  embed?: EmbedTexts;
  /** The embedding model `embed` would use, or null when none is available (uploads skip embedding). */
  embeddingModel?: () => Promise<string | null>;
  logger?: SearchLogger;
  cache?: ChunkCacheOptions;
  /**
   * The opt-in plaintext vector index (config `documents.plaintextVectorIndex`): the vectors of shared
   * collections are copied there when shared, and searched there. Absent: vectors stay encrypted only.
   */
  vectorIndex?: PlaintextVectorIndex;
  /** Tokens per chunk. Default 384. */
  chunkTokens?: number;
  /** Texts per embedding call. Default 32. */
  embedBatch?: number;
}

export interface UploadInput {
  name: string;
  bytes: Uint8Array;
  conversationId?: string;
  collectionId?: string;
}

export interface LimitsView extends DocumentLimits {
  plan: string;
  usedFiles: number;
  usedBytes: number;
  /** Whether uploads are embedded (hybrid search); false: keyword search only. */
  vectorSearch: boolean;
}

export class DocumentService implements DocumentRetriever {
  readonly #cache: ChunkCache;
  readonly #search: HybridSearch;

  constructor(private readonly o: DocumentServiceOptions) {
    this.#cache = new ChunkCache(o.cache);
    this.#search = new HybridSearch({
      store: o.store,
      cache: this.#cache,
      ...(o.embed ? { embed: o.embed } : {}),
      ...(o.logger ? { logger: o.logger } : {}),
      ...(o.vectorIndex ? { vectorIndex: o.vectorIndex } : {}),
    });
  }

  async limits(user: DocumentUser): Promise<LimitsView> {
    const plan = this.o.plans.resolve(user.plan);
    const usage = await this.o.store.documents.usage(user.id);
    return {
      plan: plan.name,
      ...documentLimits(plan),
      usedFiles: usage.files,
      usedBytes: usage.bytes,
      vectorSearch: await this.#canEmbed(),
    };
  }

  /** Checks limits, parses (isolated), chunks, embeds (when it can) and stores one upload. */
  async upload(user: DocumentUser, input: UploadInput, signal?: AbortSignal): Promise<DocumentFileRecord> {
    const limits = documentLimits(this.o.plans.resolve(user.plan));
    if (input.conversationId !== undefined && input.collectionId !== undefined) {
      throw new DocumentServiceError(
        'invalid_request',
        'Upload into a conversation or a collection, not both.',
        'collectionId',
      );
    }
    if (input.bytes.byteLength > limits.maxFileBytes) {
      throw new DocumentServiceError(
        'limit_exceeded',
        `The file is larger than your plan's limit of ${mib(limits.maxFileBytes)}.`,
        'file',
      );
    }
    const usage = await this.o.store.documents.usage(user.id);
    if (usage.files + 1 > limits.maxFiles) {
      throw new DocumentServiceError(
        'limit_exceeded',
        `Your plan keeps at most ${limits.maxFiles} files; delete some to upload more.`,
        'file',
      );
    }
    if (usage.bytes + input.bytes.byteLength > limits.maxStorageBytes) {
      throw new DocumentServiceError(
        'limit_exceeded',
        `This upload would exceed your plan's ${mib(limits.maxStorageBytes)} of document storage.`,
        'file',
      );
    }
    const name = sanitiseFileName(input.name);
    const parsed = await this.o.parse(
      name,
      input.bytes,
      { ...DEFAULT_PARSE_LIMITS, maxBytes: limits.maxFileBytes, maxPages: limits.maxPages },
      signal,
    );
    const chunks: DocumentChunkInput[] = chunkSections(parsed.sections, this.o.chunkTokens).map((c) => ({
      text: c.text,
      heading: c.heading ?? null,
      page: c.page ?? null,
      tokens: c.tokens,
    }));
    const embeddingModel = await this.#embedChunks(user, chunks, signal);
    let created: DocumentFileRecord;
    try {
      created = await this.o.store.documents.createFile({
        userId: user.id,
        name,
        kind: parsed.kind satisfies DocumentKind,
        mediaType: parsed.mediaType,
        content: input.bytes,
        text: parsed.text,
        pages: parsed.pages ?? null,
        tokens: estimateTokens(parsed.text),
        chunks,
        embeddingModel,
        conversationId: input.conversationId ?? null,
        collectionId: input.collectionId ?? null,
      });
    } catch (err) {
      throw storeToServiceError(err);
    }
    await this.#search.warm(user.id, created);
    if (created.collectionId && created.embeddingModel) {
      const collection = await this.o.store.documents.getCollection(created.collectionId, user.id);
      if (collection?.shared) await this.#indexFiles(user.id, [created]);
    }
    return created;
  }

  /** Copies the files' vectors into the plaintext index (shared collections, when the option is on). */
  async #indexFiles(ownerId: string, files: readonly DocumentFileRecord[]): Promise<void> {
    const index = this.o.vectorIndex;
    if (!index) return;
    try {
      await index.ready();
      for (const f of files) {
        const collectionId = f.collectionId;
        if (!collectionId || !f.embeddingModel) continue;
        const chunks = (await this.o.store.documents.chunks(f.id, ownerId)) ?? [];
        await index.upsert(
          chunks.flatMap((c) =>
            c.vector ? [{ chunkId: c.id, fileId: f.id, collectionId, ownerId, vector: c.vector }] : [],
          ),
        );
      }
    } catch (err) {
      throw new DocumentServiceError(
        'unavailable',
        `The plaintext vector index is not available: ${(err as Error).message}.`,
      );
    }
  }

  async #canEmbed(): Promise<boolean> {
    if (!this.o.embed) return false;
    return this.o.embeddingModel ? (await this.o.embeddingModel()) !== null : true;
  }

  /** Adds vectors to `chunks` in place; returns the model, or null (keyword search only) when none. */
  async #embedChunks(
    user: DocumentUser,
    chunks: DocumentChunkInput[],
    signal?: AbortSignal,
  ): Promise<string | null> {
    if (!this.o.embed || chunks.length === 0 || !(await this.#canEmbed())) return null;
    const batch = this.o.embedBatch ?? 32;
    let model: string | null = null;
    try {
      for (let i = 0; i < chunks.length; i += batch) {
        const part = chunks.slice(i, i + batch);
        const texts = part.map((c) => (c.heading ? `${c.heading}\n${c.text}` : c.text));
        const result = await this.o.embed(texts, signal ?? new AbortController().signal, {
          userId: user.id,
          plan: user.plan,
        });
        if (model !== null && result.model !== model) throw new Error('embedding model changed mid-upload');
        model = result.model;
        part.forEach((c, j) => {
          const v = result.vectors[j];
          if (!v) throw new Error('embedding count mismatch');
          c.vector = normalise(v);
        });
      }
      return model;
    } catch (err) {
      if (signal?.aborted) throw err;
      for (const c of chunks) c.vector = null;
      this.o.logger?.warn(
        { err: { name: (err as Error)?.name, code: (err as { code?: unknown })?.code } },
        'documents: embedding the upload failed; stored for keyword search only',
      );
      return null;
    }
  }

  listFiles(
    userId: string,
    filter?: { conversationId?: string; collectionId?: string; unattached?: boolean },
  ) {
    return this.o.store.documents.listFiles(userId, filter);
  }

  /** Own files, and files of collections the user may read (shared). */
  async filesOfCollection(userId: string, collectionId: string): Promise<DocumentFileRecord[]> {
    const collection = await this.o.store.documents.getCollection(collectionId, userId);
    if (!collection) throw new DocumentServiceError('not_found', 'Collection not found.');
    return this.o.store.documents.selectFiles(userId, { collectionIds: [collectionId] });
  }

  getFile(userId: string, fileId: string) {
    return this.o.store.documents.getFile(fileId, userId);
  }

  fileContent(userId: string, fileId: string) {
    return this.o.store.documents.fileContent(fileId, userId);
  }

  async deleteFile(userId: string, fileId: string): Promise<boolean> {
    const deleted = await this.o.store.documents.deleteFile(fileId, userId);
    if (deleted) {
      this.#cache.dropFile(fileId);
      await this.o.vectorIndex?.removeFile(fileId);
    }
    return deleted;
  }

  listCollections(userId: string): Promise<DocumentCollectionRecord[]> {
    return this.o.store.documents.listCollections(userId);
  }

  getCollection(userId: string, id: string) {
    return this.o.store.documents.getCollection(id, userId);
  }

  async createCollection(userId: string, name: string): Promise<DocumentCollectionRecord> {
    try {
      return await this.o.store.documents.createCollection({ userId, name });
    } catch (err) {
      throw storeToServiceError(err);
    }
  }

  /** Owner only; sharing with everyone (or un-sharing) is for admins. */
  async updateCollection(
    user: DocumentUser,
    id: string,
    patch: { name?: string; shared?: boolean },
  ): Promise<DocumentCollectionRecord> {
    const existing = await this.o.store.documents.getCollection(id, user.id);
    if (!existing || existing.userId !== user.id)
      throw new DocumentServiceError('not_found', 'Collection not found.');
    if (patch.shared !== undefined && patch.shared !== existing.shared && !user.isAdmin) {
      throw new DocumentServiceError(
        'forbidden',
        'Only an admin can share a collection with everyone.',
        'shared',
      );
    }
    const files =
      patch.shared !== undefined ? await this.o.store.documents.listFiles(user.id, { collectionId: id }) : [];
    // Index before sharing: a share the (opted-in) index cannot hold is refused, not half done.
    if (patch.shared === true && !existing.shared) await this.#indexFiles(user.id, files);
    let updated: DocumentCollectionRecord | null;
    try {
      updated = await this.o.store.documents.updateCollection(id, user.id, patch);
    } catch (err) {
      throw storeToServiceError(err);
    }
    if (!updated) throw new DocumentServiceError('not_found', 'Collection not found.');
    if (patch.shared === false && existing.shared) await this.o.vectorIndex?.removeCollection(id);
    return updated;
  }

  async deleteCollection(userId: string, id: string): Promise<boolean> {
    const files = await this.o.store.documents.listFiles(userId, { collectionId: id });
    const deleted = await this.o.store.documents.deleteCollection(id, userId);
    if (deleted) {
      for (const f of files) this.#cache.dropFile(f.id);
      await this.o.vectorIndex?.removeCollection(id);
    }
    return deleted;
  }

  /** Search for the API (`POST /api/documents/search`): passages and whether vectors took part. */
  search(userId: string, q: SearchRequest): Promise<{ passages: Passage[]; vector: boolean }> {
    return this.#search.search(userId, q);
  }

  // ---------------------------------------------------------------- DocumentRetriever

  retrieve(
    userId: string,
    q: { scopes: DocumentScope[]; query: string; limit?: number; signal?: AbortSignal },
  ): Promise<Passage[]> {
    return this.#search.retrieve(userId, q);
  }

  async wholeDocuments(
    userId: string,
    scopes: DocumentScope[],
  ): Promise<Array<{ fileId: string; fileName: string; text: string; tokens: number }>> {
    const files = await this.#search.files(userId, scopes);
    const out = [];
    for (const f of files) {
      const t = await this.o.store.documents.fileText(f.id, userId);
      if (t) out.push({ fileId: f.id, fileName: f.name, text: t.text, tokens: f.tokens });
    }
    return out;
  }

  async passage(userId: string, chunkId: string): Promise<Passage | null> {
    const hit = await this.o.store.documents.chunk(chunkId, userId);
    return hit ? toPassage(hit.file, hit.chunk, 0) : null;
  }

  /** Throws `StoreError('not_found')` for a file that is not the user's (the chat maps it to 400). */
  attachToConversation(userId: string, fileIds: string[], conversationId: string): Promise<void> {
    return this.o.store.documents.attachFiles(userId, fileIds, conversationId);
  }

  /** A deleted user: their cached chunks, and their entries in the plaintext index. */
  async forgetUser(userId: string): Promise<void> {
    this.#cache.dropUser(userId);
    await this.o.vectorIndex?.removeOwner(userId);
  }
}

function storeToServiceError(err: unknown): unknown {
  if (err instanceof StoreError) {
    if (err.code === 'not_found') {
      return new DocumentServiceError('not_found', `${capitalise(err.message)}.`, err.field);
    }
    if (err.code === 'validation') return new DocumentServiceError('invalid_request', err.message, err.field);
  }
  return err;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function mib(n: number): string {
  return `${Math.round((n / 1024 / 1024) * 10) / 10} MiB`;
}
