/**
 * Request/response shapes of the documents routes (issue 13): uploads, files, collections, passages and
 * limits. Types and zod schemas only: shared by the server and the web app.
 */
import { z } from 'zod';

const id = z.string().min(1).max(100);

export type ApiDocumentKind = 'pdf' | 'docx' | 'markdown' | 'text' | 'html' | 'code' | 'csv';

/** File extensions uploads may have (the content must match; see the server's type check). */
export const ACCEPTED_DOCUMENT_EXTENSIONS = [
  '.pdf',
  '.docx',
  '.md',
  '.markdown',
  '.txt',
  '.html',
  '.htm',
  '.csv',
  '.tsv',
  '.json',
  '.yaml',
  '.yml',
  '.xml',
  '.js',
  '.ts',
  '.py',
  '.go',
  '.rs',
  '.java',
  '.c',
  '.cpp',
  '.h',
  '.cs',
  '.rb',
  '.php',
  '.sh',
  '.sql',
] as const;

/** `POST /api/files` query: where the upload goes (neither: a draft, attached when a message is sent). */
export const uploadQuerySchema = z.strictObject({
  conversationId: id.optional(),
  collectionId: id.optional(),
});

export const listFilesQuerySchema = z.strictObject({
  conversationId: id.optional(),
  collectionId: id.optional(),
  /** `true`: only drafts (uploaded without a conversation or collection). */
  unattached: z.enum(['true', 'false']).optional(),
});

/** `POST /api/documents/search`: passages from the union of the given scopes. */
export const searchDocumentsBodySchema = z
  .strictObject({
    query: z.string().trim().min(1).max(1000),
    conversationId: id.optional(),
    collectionIds: z.array(id).max(50).optional(),
    fileIds: z.array(id).max(200).optional(),
    limit: z.int().min(1).max(50).optional(),
    /** Default `hybrid`; `keyword` or `vector` alone to see what each ranking finds. */
    mode: z.enum(['hybrid', 'keyword', 'vector']).optional(),
  })
  .refine(
    (b) => b.conversationId !== undefined || (b.collectionIds?.length ?? 0) + (b.fileIds?.length ?? 0) > 0,
    {
      message: 'name conversationId, collectionIds or fileIds',
    },
  );

export interface ApiDocumentSearch {
  passages: Array<ApiPassage & { score: number }>;
  /** Whether the vector ranking took part (false: keyword only — no embedding model, or none embedded). */
  vector: boolean;
}

export const MAX_COLLECTION_NAME_CHARS = 200;

export const createCollectionBodySchema = z.strictObject({
  name: z.string().trim().min(1).max(MAX_COLLECTION_NAME_CHARS),
});

export const updateCollectionBodySchema = z
  .strictObject({
    name: z.string().trim().min(1).max(MAX_COLLECTION_NAME_CHARS).optional(),
    /** Share with every user (admins only). */
    shared: z.boolean().optional(),
  })
  .refine((b) => b.name !== undefined || b.shared !== undefined, { message: 'name or shared is required' });

export interface ApiDocumentFile {
  id: string;
  name: string;
  kind: ApiDocumentKind;
  mediaType: string;
  sizeBytes: number;
  /** PDFs only. */
  pages: number | null;
  chunks: number;
  tokens: number;
  /** Whether the file has embeddings (hybrid search); false: keyword search only. */
  embedded: boolean;
  conversationId: string | null;
  collectionId: string | null;
  /** The caller owns it (false for files of a collection shared by an admin). */
  own: boolean;
  createdAt: string;
}

export interface ApiFileList {
  files: ApiDocumentFile[];
}

export interface ApiCollection {
  id: string;
  name: string;
  shared: boolean;
  own: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface ApiCollectionList {
  collections: ApiCollection[];
}

export interface ApiCollectionDetail extends ApiCollection {
  files: ApiDocumentFile[];
}

/** `GET /api/chunks/:id`: one passage, for the citation popover. */
export interface ApiPassage {
  chunkId: string;
  fileId: string;
  fileName: string;
  page?: number;
  heading?: string;
  text: string;
  /** e.g. "report.pdf p. 3". */
  citation: string;
}

/** `GET /api/documents/limits`: the caller's plan limits and usage. */
export interface ApiDocumentLimits {
  plan: string;
  maxFileBytes: number;
  maxPages: number;
  maxFiles: number;
  maxStorageBytes: number;
  usedFiles: number;
  usedBytes: number;
  /** Whether uploads get embeddings (hybrid search); false: keyword search only. */
  vectorSearch: boolean;
  accepted: readonly string[];
}
