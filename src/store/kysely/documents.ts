/**
 * Documents repository (migration 0004): collections, files and chunks. Names, bytes, extracted text,
 * chunk text and headings, and vectors are encrypted under the owner's data key with AAD bound to the
 * row; a reader of a shared collection gets them decrypted with the owner's key only after the SQL
 * access check (owner, or the file's collection is shared).
 */
import type { UserKeys } from '../crypto/envelope.ts';
import { StoreError, StoreValidationError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { DocumentCollectionRecord, DocumentFileRecord, DocumentStore } from '../types-documents.ts';
import { type Db, inTransaction, nowMs, type RepoContext, toDate } from './context.ts';
import {
  checkChunks,
  checkName,
  chunkRows,
  ctxOf,
  FILE_COLUMNS,
  type FileRow,
  KINDS,
  MAX_COLLECTION_NAME,
  MAX_CONTENT_BYTES,
  MAX_NAME,
  MAX_SELECT_IDS,
  readableBy,
  toChunk,
  toCollection,
  toFile,
} from './documents-rows.ts';
import { count, isRowId, plain, secret } from './validate.ts';

export function documentStore(ctx: RepoContext): DocumentStore {
  const { db } = ctx;

  async function keysOf(userId: string, on: Db = db): Promise<UserKeys> {
    const keys = isRowId(userId) ? await ctx.keys.forUser(on, userId) : null;
    if (!keys) throw new StoreError('not_found', 'user not found', 'userId');
    return keys;
  }

  async function decodeFiles(rows: FileRow[]): Promise<DocumentFileRecord[]> {
    const out: DocumentFileRecord[] = [];
    for (const row of rows) out.push(toFile(row, await keysOf(row.user_id)));
    return out;
  }

  async function getCollection(id: string, userId: string): Promise<DocumentCollectionRecord | null> {
    if (!isRowId(id) || !isRowId(userId)) return null;
    const row = await db
      .selectFrom('document_collections')
      .selectAll()
      .where('id', '=', id)
      .where((eb) => eb.or([eb('user_id', '=', userId), eb('shared', '=', 1)]))
      .executeTakeFirst();
    return row ? toCollection(row, await keysOf(row.user_id)) : null;
  }

  async function getFile(id: string, userId: string): Promise<DocumentFileRecord | null> {
    if (!isRowId(id) || !isRowId(userId)) return null;
    const row = await db
      .selectFrom('document_files as f')
      .select(FILE_COLUMNS)
      .where('f.id', '=', id)
      .where(readableBy(userId))
      .executeTakeFirst();
    return row ? toFile(row, await keysOf(row.user_id)) : null;
  }

  async function ownedIds(table: 'conversations' | 'document_collections', id: string, userId: string) {
    return isRowId(id)
      ? await db
          .selectFrom(table)
          .select('id')
          .where('id', '=', id)
          .where('user_id', '=', userId)
          .executeTakeFirst()
      : undefined;
  }

  return {
    async createCollection(input) {
      const name = checkName('name', input.name, MAX_COLLECTION_NAME);
      const keys = await keysOf(input.userId);
      const id = newId();
      const now = nowMs();
      await db
        .insertInto('document_collections')
        .values({
          id,
          user_id: input.userId,
          name: keys.encrypt(ctxOf('document_collections', 'name', id, input.userId), name),
          shared: 0,
          created_at: now,
          updated_at: now,
        })
        .execute();
      return {
        id,
        userId: input.userId,
        name,
        shared: false,
        createdAt: toDate(now),
        updatedAt: toDate(now),
      };
    },

    async listCollections(userId) {
      if (!isRowId(userId)) return [];
      const rows = await db
        .selectFrom('document_collections')
        .selectAll()
        .where((eb) => eb.or([eb('user_id', '=', userId), eb('shared', '=', 1)]))
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .execute();
      const out: DocumentCollectionRecord[] = [];
      for (const row of rows) out.push(toCollection(row, await keysOf(row.user_id)));
      return out;
    },

    getCollection,

    async updateCollection(id, userId, patch) {
      if (!isRowId(id) || !isRowId(userId)) return null;
      const set: { name?: Buffer; shared?: number; updated_at: number } = { updated_at: nowMs() };
      if (patch.name !== undefined) {
        const keys = await keysOf(userId);
        set.name = keys.encrypt(
          ctxOf('document_collections', 'name', id, userId),
          checkName('name', patch.name, MAX_COLLECTION_NAME),
        );
      }
      if (patch.shared !== undefined) set.shared = patch.shared ? 1 : 0;
      const r = await db
        .updateTable('document_collections')
        .set(set)
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0 ? getCollection(id, userId) : null;
    },

    async deleteCollection(id, userId) {
      if (!isRowId(id) || !isRowId(userId)) return false;
      // Files and their chunks cascade.
      const r = await db
        .deleteFrom('document_collections')
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },

    async createFile(input) {
      const name = checkName('name', input.name, MAX_NAME);
      if (!KINDS.includes(input.kind))
        throw new StoreValidationError('kind', `must be one of ${KINDS.join(', ')}`);
      const mediaType = plain('mediaType', input.mediaType, 200, false);
      if (!(input.content instanceof Uint8Array)) throw new StoreValidationError('content', 'must be bytes');
      if (input.content.byteLength > MAX_CONTENT_BYTES) {
        throw new StoreValidationError('content', `must be at most ${MAX_CONTENT_BYTES} bytes`);
      }
      const text = secret('text', input.text);
      const chunks = checkChunks(input.chunks);
      const pages = input.pages == null ? null : count('pages', input.pages);
      const tokens = count('tokens', input.tokens);
      const embeddingModel =
        input.embeddingModel == null ? null : plain('embeddingModel', input.embeddingModel, 300, false);
      if (embeddingModel === null && chunks.some((c) => c.vector)) {
        throw new StoreValidationError('embeddingModel', 'is required when chunks have vectors');
      }
      const keys = await keysOf(input.userId);
      const userId = input.userId;
      const conversationId = input.conversationId ?? null;
      const collectionId = input.collectionId ?? null;
      if (conversationId !== null && !(await ownedIds('conversations', conversationId, userId))) {
        throw new StoreError('not_found', 'conversation not found', 'conversationId');
      }
      if (collectionId !== null && !(await ownedIds('document_collections', collectionId, userId))) {
        throw new StoreError('not_found', 'collection not found', 'collectionId');
      }
      const id = newId();
      const now = nowMs();
      await inTransaction(db, async (trx) => {
        await trx
          .insertInto('document_files')
          .values({
            id,
            user_id: userId,
            conversation_id: conversationId,
            collection_id: collectionId,
            name: keys.encrypt(ctxOf('document_files', 'name', id, userId), name),
            kind: input.kind,
            media_type: mediaType,
            size_bytes: input.content.byteLength,
            pages,
            chunk_count: chunks.length,
            tokens,
            embedding_model: embeddingModel,
            content: keys.encryptBytes(ctxOf('document_files', 'content', id, userId), input.content),
            text: keys.encrypt(ctxOf('document_files', 'text', id, userId), text),
            created_at: now,
          })
          .execute();
        const rows = chunkRows(chunks, id, userId, keys);
        // Batches keep each statement under SQLite's and PostgreSQL's parameter limits.
        for (let i = 0; i < rows.length; i += 500) {
          await trx
            .insertInto('document_chunks')
            .values(rows.slice(i, i + 500))
            .execute();
        }
      });
      return {
        id,
        userId,
        name,
        kind: input.kind,
        mediaType,
        sizeBytes: input.content.byteLength,
        pages,
        chunkCount: chunks.length,
        tokens,
        embeddingModel,
        conversationId,
        collectionId,
        createdAt: toDate(now),
      };
    },

    async listFiles(userId, filter = {}) {
      if (!isRowId(userId)) return [];
      let q = db.selectFrom('document_files as f').select(FILE_COLUMNS).where('f.user_id', '=', userId);
      if (filter.conversationId !== undefined) {
        if (!isRowId(filter.conversationId)) return [];
        q = q.where('f.conversation_id', '=', filter.conversationId);
      }
      if (filter.collectionId !== undefined) {
        if (!isRowId(filter.collectionId)) return [];
        q = q.where('f.collection_id', '=', filter.collectionId);
      }
      if (filter.unattached)
        q = q.where('f.conversation_id', 'is', null).where('f.collection_id', 'is', null);
      const rows = await q.orderBy('f.created_at', 'desc').orderBy('f.id', 'desc').execute();
      return decodeFiles(rows);
    },

    async selectFiles(userId, selector) {
      if (!isRowId(userId)) return [];
      const ids = (list: string[] | undefined) => (list ?? []).filter(isRowId).slice(0, MAX_SELECT_IDS);
      const conversationIds = ids(selector.conversationIds);
      const collectionIds = ids(selector.collectionIds);
      const fileIds = ids(selector.fileIds);
      if (conversationIds.length + collectionIds.length + fileIds.length === 0) return [];
      const rows = await db
        .selectFrom('document_files as f')
        .select(FILE_COLUMNS)
        .where(readableBy(userId))
        .where((eb) => {
          const parts = [];
          // Conversations are never shared: only the user's own.
          if (conversationIds.length > 0) {
            parts.push(
              eb.and([eb('f.conversation_id', 'in', conversationIds), eb('f.user_id', '=', userId)]),
            );
          }
          if (collectionIds.length > 0) parts.push(eb('f.collection_id', 'in', collectionIds));
          if (fileIds.length > 0) parts.push(eb('f.id', 'in', fileIds));
          return eb.or(parts);
        })
        .orderBy('f.created_at', 'asc')
        .orderBy('f.id', 'asc')
        .execute();
      return decodeFiles(rows);
    },

    getFile,

    async fileContent(id, userId) {
      const file = await getFile(id, userId);
      if (!file) return null;
      const row = await db
        .selectFrom('document_files')
        .select('content')
        .where('id', '=', id)
        .executeTakeFirst();
      if (!row) return null;
      const keys = await keysOf(file.userId);
      return {
        file,
        content: keys.decryptBytes(ctxOf('document_files', 'content', id, file.userId), row.content),
      };
    },

    async fileText(id, userId) {
      const file = await getFile(id, userId);
      if (!file) return null;
      const row = await db
        .selectFrom('document_files')
        .select('text')
        .where('id', '=', id)
        .executeTakeFirst();
      if (!row) return null;
      const keys = await keysOf(file.userId);
      return { file, text: keys.decrypt(ctxOf('document_files', 'text', id, file.userId), row.text) };
    },

    async deleteFile(id, userId) {
      if (!isRowId(id) || !isRowId(userId)) return false;
      const r = await db
        .deleteFrom('document_files')
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },

    async attachFiles(userId, fileIds, conversationId) {
      if (!isRowId(userId) || !(await ownedIds('conversations', conversationId, userId))) {
        throw new StoreError('not_found', 'conversation not found', 'conversationId');
      }
      const ids = [...new Set(fileIds)];
      if (ids.length === 0) return;
      if (ids.length > MAX_SELECT_IDS || !ids.every(isRowId)) {
        throw new StoreError('not_found', 'file not found', 'fileIds');
      }
      await inTransaction(db, async (trx) => {
        const rows = await trx
          .selectFrom('document_files')
          .select(['id', 'conversation_id', 'collection_id'])
          .where('id', 'in', ids)
          .where('user_id', '=', userId)
          .execute();
        const ok = rows.filter(
          (r) =>
            r.collection_id === null && (r.conversation_id === null || r.conversation_id === conversationId),
        );
        if (ok.length !== ids.length) throw new StoreError('not_found', 'file not found', 'fileIds');
        await trx
          .updateTable('document_files')
          .set({ conversation_id: conversationId })
          .where('id', 'in', ids)
          .where('user_id', '=', userId)
          .execute();
      });
    },

    async usage(userId) {
      if (!isRowId(userId)) return { files: 0, bytes: 0 };
      const row = await db
        .selectFrom('document_files')
        .select((eb) => [
          eb.fn.countAll<number | string>().as('n'),
          eb.fn.sum<number | string | null>('size_bytes').as('bytes'),
        ])
        .where('user_id', '=', userId)
        .executeTakeFirstOrThrow();
      return { files: Number(row.n), bytes: Number(row.bytes ?? 0) };
    },

    async chunks(fileId, userId) {
      const file = await getFile(fileId, userId);
      if (!file) return null;
      const rows = await db
        .selectFrom('document_chunks')
        .selectAll()
        .where('file_id', '=', fileId)
        .orderBy('seq', 'asc')
        .execute();
      const keys = await keysOf(file.userId);
      return rows.map((r) => toChunk(r, keys));
    },

    async chunk(id, userId) {
      if (!isRowId(id) || !isRowId(userId)) return null;
      const row = await db.selectFrom('document_chunks').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) return null;
      const file = await getFile(row.file_id, userId);
      if (!file) return null;
      return { chunk: toChunk(row, await keysOf(row.user_id)), file };
    },
  };
}
