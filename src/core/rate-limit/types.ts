/**
 * Shared-state primitives behind admission control, quotas and rate limits. Each has an in-process
 * implementation here (one Ponder process) and a Redis one in src/adapters/redis/ (several processes
 * share one view); both pass the same contract suite (`*-contract.ts`).
 * Methods may answer synchronously (in-process) or with a promise (Redis); callers handle both so the
 * in-process path stays synchronous and deterministic.
 */

export type MaybePromise<T> = T | Promise<T>;

/**
 * Counts concurrent holders per key (e.g. one user's running generations) against a limit.
 * Holders are identified by a ticket id so a release is idempotent and a crashed process's tickets
 * can expire (Redis: TTL kept alive by a heartbeat while held).
 */
export interface ConcurrencyLimiter {
  /** Takes a place for `ticketId` under `key` if fewer than `limit` are held; true when taken. */
  tryAcquire(key: string, limit: number, ticketId: string): MaybePromise<boolean>;
  /** Gives the place back; releasing an unknown or already released ticket does nothing. */
  release(key: string, ticketId: string): MaybePromise<void>;
  /** Places currently held under `key` (expired ones not counted). */
  count(key: string): MaybePromise<number>;
}

/** Small integer counters with expiry, plus one-shot claims (replay protection). */
export interface CounterStore {
  get(key: string): Promise<number | null>;
  /** Stores `value` with a time to live unless the key exists; answers the value now stored. */
  seed(key: string, value: number, ttlMs: number): Promise<number>;
  /** Adds `by` only when the key exists (so an unseeded counter is never half-counted); answers the new value or null. */
  incrementExisting(key: string, by: number): Promise<number | null>;
  /** Adds `by`, creating the key with the time to live when absent; answers the new value. */
  increment(key: string, by: number, ttlMs: number): Promise<number>;
  /** Marks `key` as used for `ttlMs`; true the first time, false while the mark exists. */
  claim(key: string, ttlMs: number): Promise<boolean>;
  delete(key: string): Promise<void>;
}

export interface RateLimitResult {
  allowed: boolean;
  /** Weighted count in the sliding window, including this hit when it was allowed. */
  count: number;
  limit: number;
  /** When refused: milliseconds until a hit would likely be allowed. 0 when allowed. */
  retryAfterMs: number;
}

export interface RateLimitOptions {
  /** Hits allowed per window. `Infinity` only records. */
  limit: number;
  windowMs: number;
  /** Weight of this hit. Default 1. */
  cost?: number;
}

/**
 * Sliding-window rate limit (two fixed windows, the previous one weighted by how much of it still
 * overlaps the sliding window: O(1) memory per key, the approximation Cloudflare and others use).
 * A refused hit is not counted.
 */
export interface RateLimiter {
  hit(key: string, opts: RateLimitOptions): MaybePromise<RateLimitResult>;
  /** The weighted count in the sliding window now, without counting a hit. */
  peek(key: string, windowMs: number): MaybePromise<number>;
}

/**
 * The primitives one deployment shares, built together on one backend: in-process (`memoryPrimitives`)
 * or Redis (`createRedisPrimitives` in src/adapters/redis/), so several processes see one state.
 * Disposing stops background work (the Redis limiter's ticket heartbeat) and gives back the tickets
 * still held; a connection the backend runs on stays its creator's to close.
 */
export interface SharedPrimitives extends AsyncDisposable {
  limiter: ConcurrencyLimiter;
  counters: CounterStore;
  rateLimiter: RateLimiter;
}
