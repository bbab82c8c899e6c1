/**
 * Typed errors of the accounts use cases; the server maps `code` to a status (design: errors cross
 * layers as values). Messages are safe to show: no secrets. Only sign-up says whether an email is
 * registered (`email_taken`; docs/web-api.md § Auth says why); login never does.
 */

export type AccountErrorCode =
  /** Bad input; `field` names it. */
  | 'invalid_request'
  | 'weak_password'
  /** Sign-up with an email that already has an account. */
  | 'email_taken'
  | 'signup_closed'
  | 'invalid_credentials'
  | 'unauthenticated'
  | 'not_found'
  /** The change would leave the instance without an admin. */
  | 'conflict'
  | 'rate_limited'
  /** Login to an account under attack needs a solved proof of work; `details` holds the challenge. */
  | 'pow_required'
  /** The password hashing pool is saturated; retry shortly. */
  | 'overloaded';

export class AccountError extends Error {
  override readonly name = 'AccountError';
  constructor(
    readonly code: AccountErrorCode,
    message: string,
    readonly options: { field?: string; retryAfterSeconds?: number; details?: Record<string, unknown> } = {},
  ) {
    super(message);
  }
}
