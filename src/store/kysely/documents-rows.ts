/**
 * The documents repository's rows (documents.ts): input checks, and the mapping between encrypted rows
 * and records. Kept apart so the repository reads as its queries; every AAD context is built here.
 */
import type { ExpressionBuilder, Selectable } from 'kysely';
import type { UserKeys } from '../crypto/envelope.ts';
import type { Database, DocumentChunksTable, DocumentFilesTable } from '../db/schema.ts';
import { StoreValidationError } from '../errors.ts';
import { newId } from '../ids.ts';
import type {
  DocumentChunkInput,
  DocumentChunkRecord,
  DocumentCollectionRecord,
  DocumentFileRecord,
  DocumentKind,
} from '../types-documents.ts';
import { toDate, toNumberOrNull } from './context.ts';
import { count, plain, secret } from './validate.ts';

export const KINDS: readonly DocumentKind[] = ['pdf', 'docx', 'markdown', 'text', 'html', 'code', 'csv'];
/** Uploaded bytes beyond this are refused here too (the service's plan limit is far lower). */
export const MAX_CONTENT_BYTES = 256 * 1024 * 1024;
const MAX_CHUNKS = 200_000;
export const MAX_NAME = 255;
export const MAX_COLLECTION_NAME = 200;
/** Ids per selector part: more is a bug, not a request. */
export const MAX_SELECT_IDS = 1000;

export const ctxOf = (table: string, column: string, rowId: string, userId: string) => ({
  table,
  column,
  rowId,
  userId,
});

export type FileRow = Omit<Selectable<DocumentFilesTable>, 'content' | 'text'>;
export const FILE_COLUMNS = [
  'f.id',
  'f.user_id',
  'f.conversation_id',
  'f.collection_id',
  'f.name',
  'f.kind',
  'f.media_type',
  'f.size_bytes',
  'f.pages',
  'f.chunk_count',
  'f.tokens',
  'f.embedding_model',
  'f.created_at',
] as const;

export function toFile(row: FileRow, keys: UserKeys): DocumentFileRecord {
  return {
    id: row.id,
    userId: row.user_id,
    name: keys.decrypt(ctxOf('document_files', 'name', row.id, row.user_id), row.name),
    kind: row.kind as DocumentKind,
    mediaType: row.media_type,
    sizeBytes: Number(row.size_bytes),
    pages: toNumberOrNull(row.pages),
    chunkCount: Number(row.chunk_count),
    tokens: Number(row.tokens),
    embeddingModel: row.embedding_model,
    conversationId: row.conversation_id,
    collectionId: row.collection_id,
    createdAt: toDate(row.created_at),
  };
}

export function toChunk(row: Selectable<DocumentChunksTable>, keys: UserKeys): DocumentChunkRecord {
  const body = JSON.parse(keys.decrypt(ctxOf('document_chunks', 'body', row.id, row.user_id), row.body)) as {
    text: string;
    heading: string | null;
  };
  let vector: Float32Array | null = null;
  if (row.vector) {
    const raw = keys.decryptBytes(ctxOf('document_chunks', 'vector', row.id, row.user_id), row.vector);
    // Copy into an aligned buffer: Buffer slices may start at any byte offset.
    vector = new Float32Array(raw.byteLength / 4);
    new Uint8Array(vector.buffer).set(raw);
  }
  return {
    id: row.id,
    fileId: row.file_id,
    userId: row.user_id,
    seq: Number(row.seq),
    page: toNumberOrNull(row.page),
    heading: body.heading,
    text: body.text,
    tokens: Number(row.tokens),
    vector,
  };
}

/** Files the user may read: their own, or those in a shared collection. */
export function readableBy(userId: string) {
  return (eb: ExpressionBuilder<Database & { f: DocumentFilesTable }, 'f'>) =>
    eb.or([
      eb('f.user_id', '=', userId),
      eb('f.collection_id', 'in', eb.selectFrom('document_collections').select('id').where('shared', '=', 1)),
    ]);
}

export function checkName(field: string, value: string, max: number): string {
  return plain(field, value, max, false);
}

export function checkChunks(chunks: readonly DocumentChunkInput[]): DocumentChunkInput[] {
  if (!Array.isArray(chunks)) throw new StoreValidationError('chunks', 'must be an array');
  if (chunks.length > MAX_CHUNKS) throw new StoreValidationError('chunks', `must hold at most ${MAX_CHUNKS}`);
  let dims: number | undefined;
  return chunks.map((c, i) => {
    const vector = c.vector ?? null;
    if (vector !== null) {
      if (!(vector instanceof Float32Array) || vector.length === 0) {
        throw new StoreValidationError(`chunks[${i}].vector`, 'must be a non-empty Float32Array');
      }
      if (dims !== undefined && vector.length !== dims) {
        throw new StoreValidationError(`chunks[${i}].vector`, 'must have the same length as the others');
      }
      dims = vector.length;
    }
    return {
      text: secret(`chunks[${i}].text`, c.text),
      heading: c.heading == null ? null : secret(`chunks[${i}].heading`, c.heading),
      page: c.page == null ? null : count(`chunks[${i}].page`, c.page),
      tokens: count(`chunks[${i}].tokens`, c.tokens),
      vector,
    };
  });
}

export function toCollection(
  row: Selectable<Database['document_collections']>,
  keys: UserKeys,
): DocumentCollectionRecord {
  return {
    id: row.id,
    userId: row.user_id,
    name: keys.decrypt(ctxOf('document_collections', 'name', row.id, row.user_id), row.name),
    shared: Number(row.shared) === 1,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

/** The rows of a new file's checked chunks, in order, text and vector encrypted under the owner's key. */
export function chunkRows(
  chunks: readonly DocumentChunkInput[],
  fileId: string,
  userId: string,
  keys: UserKeys,
) {
  return chunks.map((c, seq) => {
    const chunkId = newId();
    return {
      id: chunkId,
      file_id: fileId,
      user_id: userId,
      seq,
      page: c.page ?? null,
      tokens: c.tokens,
      body: keys.encrypt(
        ctxOf('document_chunks', 'body', chunkId, userId),
        JSON.stringify({ text: c.text, heading: c.heading ?? null }),
      ),
      vector: c.vector
        ? keys.encryptBytes(
            ctxOf('document_chunks', 'vector', chunkId, userId),
            new Uint8Array(c.vector.buffer, c.vector.byteOffset, c.vector.byteLength),
          )
        : null,
    };
  });
}
