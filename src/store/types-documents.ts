/**
 * Documents (issue 13): uploaded files, their chunks and collections. Types only.
 *
 * At rest, a file's name, its bytes, its extracted text, every chunk's text and heading, and every
 * chunk's embedding vector are AES-256-GCM under the owner's data key (AAD bound to table, column, row
 * and owner, like messages). Plaintext columns hold only sizes, counts, page numbers, media types and
 * the embedding model's name. A collection an admin shared is readable by every user; its rows stay
 * encrypted under the owner's key and are decrypted for readers only after the access check.
 */

export type DocumentKind = 'pdf' | 'docx' | 'markdown' | 'text' | 'html' | 'code' | 'csv';

export interface DocumentCollectionRecord {
  id: string;
  /** The owner. */
  userId: string;
  /** Decrypted. */
  name: string;
  /** Shared with every user (only an admin may set this; enforced in core). */
  shared: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface DocumentFileRecord {
  id: string;
  /** The owner. */
  userId: string;
  /** Decrypted file name as uploaded (already sanitised by the caller). */
  name: string;
  kind: DocumentKind;
  mediaType: string;
  sizeBytes: number;
  /** Pages for PDFs; `null` for formats without pages. */
  pages: number | null;
  chunkCount: number;
  /** Estimated tokens of the extracted text. */
  tokens: number;
  /** Model that embedded the chunks; `null` when stored without vectors (keyword search only). */
  embeddingModel: string | null;
  conversationId: string | null;
  collectionId: string | null;
  createdAt: Date;
}

export interface DocumentChunkInput {
  text: string;
  heading?: string | null;
  page?: number | null;
  tokens: number;
  /** L2-normalised embedding; all chunks of a file have one or none. */
  vector?: Float32Array | null;
}

export interface DocumentChunkRecord {
  id: string;
  fileId: string;
  userId: string;
  /** Position within the file, from 0. */
  seq: number;
  page: number | null;
  /** Decrypted. */
  heading: string | null;
  /** Decrypted. */
  text: string;
  tokens: number;
  /** Decrypted; `null` when the file has no vectors. */
  vector: Float32Array | null;
}

export interface CreateDocumentFileInput {
  userId: string;
  name: string;
  kind: DocumentKind;
  mediaType: string;
  /** The uploaded bytes, kept (encrypted) for download and export. */
  content: Uint8Array;
  text: string;
  pages?: number | null;
  tokens: number;
  chunks: DocumentChunkInput[];
  embeddingModel?: string | null;
  /** Must be the user's conversation (else `not_found`). */
  conversationId?: string | null;
  /** Must be the user's own collection (else `not_found`). */
  collectionId?: string | null;
}

/** Which files a reader asks for; each part is access-checked, the union is returned. */
export interface DocumentFileSelector {
  conversationIds?: string[];
  collectionIds?: string[];
  fileIds?: string[];
}

export interface DocumentStore {
  createCollection(input: { userId: string; name: string }): Promise<DocumentCollectionRecord>;
  /** The user's own collections and every shared one, by name order is the caller's job (newest first here). */
  listCollections(userId: string): Promise<DocumentCollectionRecord[]>;
  /** Own or shared; `null` otherwise. */
  getCollection(id: string, userId: string): Promise<DocumentCollectionRecord | null>;
  /** Owner only; `null` otherwise. */
  updateCollection(
    id: string,
    userId: string,
    patch: { name?: string; shared?: boolean },
  ): Promise<DocumentCollectionRecord | null>;
  /** Owner only; deletes the collection's files and chunks. */
  deleteCollection(id: string, userId: string): Promise<boolean>;

  /** One transaction: the file, its encrypted bytes and text, and its chunks. */
  createFile(input: CreateDocumentFileInput): Promise<DocumentFileRecord>;
  /** The user's own files (optionally of one conversation / collection), newest first. */
  listFiles(
    userId: string,
    filter?: { conversationId?: string; collectionId?: string; unattached?: boolean },
  ): Promise<DocumentFileRecord[]>;
  /** Readable files (own, or in a shared collection) matching any part of the selector. */
  selectFiles(userId: string, selector: DocumentFileSelector): Promise<DocumentFileRecord[]>;
  /** Readable (own, or in a shared collection); `null` otherwise. */
  getFile(id: string, userId: string): Promise<DocumentFileRecord | null>;
  /** The uploaded bytes of a readable file. */
  fileContent(id: string, userId: string): Promise<{ file: DocumentFileRecord; content: Buffer } | null>;
  /** The extracted text of a readable file. */
  fileText(id: string, userId: string): Promise<{ file: DocumentFileRecord; text: string } | null>;
  /** Owner only; removes bytes, text and chunks. */
  deleteFile(id: string, userId: string): Promise<boolean>;
  /**
   * Attaches the user's unattached files (or files already in that conversation) to the conversation.
   * A file that is not the user's, is in a collection, or is in another conversation → `not_found`.
   */
  attachFiles(userId: string, fileIds: string[], conversationId: string): Promise<void>;
  /** Files and total uploaded bytes the user owns (plan limits). */
  usage(userId: string): Promise<{ files: number; bytes: number }>;

  /** Every chunk of a readable file, in order, decrypted; `null` when not readable. */
  chunks(fileId: string, userId: string): Promise<DocumentChunkRecord[] | null>;
  /** One chunk of a readable file with its file; `null` otherwise. */
  chunk(id: string, userId: string): Promise<{ chunk: DocumentChunkRecord; file: DocumentFileRecord } | null>;
}
