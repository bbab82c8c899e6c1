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
