/**
 * The error shape of the web API (`/api`, docs/web-api.md). Types only.
 */

export type ApiErrorCode =
  | 'invalid_request'
  | 'weak_password'
  | 'email_taken'
  | 'unauthenticated'
  | 'invalid_credentials'
  | 'forbidden'
  | 'forbidden_origin'
  | 'signup_closed'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'pow_required'
  | 'rate_limited'
  | 'quota_exceeded'
  | 'concurrency_limit'
  | 'model_not_ready'
  | 'overloaded'
  | 'internal';

export interface ApiErrorBody {
  error: {
    code: ApiErrorCode | (string & {});
    message: string;
    retryAfterSeconds?: number;
    details?: Record<string, unknown>;
  };
}
