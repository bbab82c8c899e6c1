import { z } from 'zod';

/**
 * A plan's limits on uploaded documents (issue 13). Every field is optional; the defaults are
 * `DEFAULT_DOCUMENT_LIMITS` (core/documents/limits.ts). Shown to users by `GET /api/documents/limits`.
 */
export const planDocumentsSchema = z.strictObject({
  /** Largest single upload, in bytes. */
  maxFileBytes: z.int().positive().optional(),
  /** Most pages of one PDF. */
  maxPages: z.int().positive().optional(),
  /** Most files a user keeps (conversations and collections together). */
  maxFiles: z.int().nonnegative().optional(),
  /** Total bytes of uploads a user keeps. */
  maxStorageBytes: z.int().nonnegative().optional(),
});

export type PlanDocumentsConfig = z.infer<typeof planDocumentsSchema>;

/** Instance-wide documents settings (issue 13). */
export const documentsSchema = z.strictObject({
  /**
   * Also keep the embeddings of collections an admin shared with everyone in a PLAINTEXT vector index
   * (sqlite-vec in `<dataDir>/vector-index.db`, or pgvector in the PostgreSQL database when the server
   * has the extension). Faster nearest-neighbour search for large shared collections, at the cost of
   * embeddings readable at rest (README: "Documents: at-rest design"). Default false: vectors stay
   * encrypted and are searched exactly in memory.
   */
  plaintextVectorIndex: z.boolean().default(false),
});

export type DocumentsConfig = z.infer<typeof documentsSchema>;
