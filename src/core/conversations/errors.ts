/**
 * Typed errors of the conversation and chat use cases; the server maps `code` to a status
 * (`not_found` 404, `invalid_request` 400, `conflict` 409). Messages are safe to show to the user.
 */

export type ConversationErrorCode = 'not_found' | 'invalid_request' | 'conflict';

export class ConversationError extends Error {
  override readonly name = 'ConversationError';
  constructor(
    readonly code: ConversationErrorCode,
    message: string,
    /** For `invalid_request`: the offending field. */
    readonly field?: string,
  ) {
    super(message);
  }
}

export function notFound(what = 'conversation'): ConversationError {
  return new ConversationError('not_found', `No such ${what}.`);
}
