/**
 * Typed errors of the accounts use cases; the server maps `code` to a status (design: errors cross
 * layers as values). Messages are safe to show: no secrets, no hint whether an email exists.
 */

export type AccountErrorCode =
  /** Bad input; `field` names it. */
  | 'invalid_request'
  | 'weak_password'
  /** Sign-up refused for a reason we do not reveal (e.g. the email is taken). */
  | 'signup_failed'
  | 'signup_closed'
  | 'invalid_credentials'
  | 'unauthenticated'
  | 'not_found'
  /** The change would leave the instance without an admin. */
  | 'conflict'
  | 'rate_limited'
  /** The password hashing pool is saturated; retry shortly. */
  | 'overloaded';

export class AccountError extends Error {
  override readonly name = 'AccountError';
  constructor(
    readonly code: AccountErrorCode,
    message: string,
    readonly options: { field?: string; retryAfterSeconds?: number } = {},
  ) {
    super(message);
  }
}
