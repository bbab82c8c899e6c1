/** Typed failures of the documents service; the server maps `code` to a status. */
export type DocumentServiceErrorCode =
  /** A bad parameter; `field` names it (400). */
  | 'invalid_request'
  /** Unknown, or not the user's (404: the same answer, so ids cannot be probed). */
  | 'not_found'
  /** Only an admin may share a collection with everyone (403). */
  | 'forbidden'
  /** A plan limit (files, storage, file size, pages) would be exceeded (413). */
  | 'limit_exceeded'
  /** The opt-in plaintext vector index cannot be used (503); the message says why. */
  | 'unavailable';

export class DocumentServiceError extends Error {
  override readonly name = 'DocumentServiceError';
  constructor(
    readonly code: DocumentServiceErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}
