/**
 * Typed refusals of admission control and quotas. The server maps them to HTTP: `status` is the
 * status code, `retryAfterSeconds` becomes `Retry-After`, `code` goes into the error body.
 */

export type AdmissionErrorCode =
  /** The user already runs as many generations as the plan allows and may not queue more. 429. */
  | 'concurrency_limit'
  /** The whole queue is full: the system is overloaded. 503. */
  | 'queue_full'
  /** This user already has the maximum number of queued requests. 429. */
  | 'user_queue_full'
  /** The request waited longer than the maximum queue wait. 503. */
  | 'queue_timeout'
  /** A daily plan limit is used up; `details.limit` says which. 429. */
  | 'quota_exceeded'
  /** The controller was closed (process shutting down) while the request waited. 503. */
  | 'shutting_down';

export type QuotaLimit = 'reasoning_messages' | 'tokens';

export interface AdmissionErrorDetails {
  /** For `quota_exceeded`: the limit that was hit. */
  limit?: QuotaLimit;
  used?: number;
  max?: number;
  /** For `concurrency_limit`: the plan's concurrency. */
  maxConcurrency?: number;
  /** For `queue_full` / `user_queue_full`: the bound that was hit. */
  maxQueued?: number;
  /** For `quota_exceeded`: when the limit resets (ISO 8601, UTC). */
  resetsAt?: string;
}

const STATUS: Record<AdmissionErrorCode, 429 | 503> = {
  concurrency_limit: 429,
  user_queue_full: 429,
  quota_exceeded: 429,
  queue_full: 503,
  queue_timeout: 503,
  shutting_down: 503,
};

const MESSAGE: Record<AdmissionErrorCode, string> = {
  concurrency_limit: 'Too many generations at once for your plan; wait for one to finish.',
  user_queue_full: 'You have too many requests waiting; wait for one to start.',
  quota_exceeded: 'Daily limit of your plan reached.',
  queue_full: 'The server is at capacity; try again shortly.',
  queue_timeout: 'The server is busy and the request waited too long; try again shortly.',
  shutting_down: 'The server is restarting; try again shortly.',
};

export class AdmissionError extends Error {
  override readonly name = 'AdmissionError';
  /** HTTP status: 429 when this user is over a limit, 503 when the system is full. */
  readonly status: 429 | 503;
  constructor(
    readonly code: AdmissionErrorCode,
    /** Whole seconds, at least 1, for `Retry-After`; absent when no sensible estimate exists. */
    readonly retryAfterSeconds?: number,
    readonly details: AdmissionErrorDetails = {},
    message: string = MESSAGE[code],
  ) {
    super(message);
    this.status = STATUS[code];
  }
}

export function isAdmissionError(err: unknown): err is AdmissionError {
  return err instanceof AdmissionError;
}

/** Seconds for `Retry-After`: whole, at least 1, capped so a bad estimate never says "come back tomorrow". */
export function toRetryAfterSeconds(ms: number, maxSeconds = 3600): number {
  if (!Number.isFinite(ms)) return maxSeconds;
  return Math.min(maxSeconds, Math.max(1, Math.ceil(ms / 1000)));
}
