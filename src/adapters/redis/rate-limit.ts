/**
 * Redis implementations of core's shared-state primitives (src/core/rate-limit/types.ts), so several
 * Ponder processes share one view of per-user concurrency, quota counters and rate limits. All
 * read-modify-writes are single Lua scripts (atomic); times come from the Redis server. The caller
 * owns the connection (create it with `new Redis(config.redisUrl)` and `quit()` it at shutdown, after
 * disposing these). Tested against the same contract suites as the in-process ones (rate-limit.test.ts).
 */
import type { Redis } from 'ioredis';
import { retryAfterMs, slidingCount } from '../../core/rate-limit/sliding-window.ts';
import type {
  ConcurrencyLimiter,
  CounterStore,
  RateLimiter,
  RateLimitOptions,
  RateLimitResult,
  SharedPrimitives,
} from '../../core/rate-limit/types.ts';
import {
  acquireScript,
  countScript,
  heartbeatScript,
  incrementExistingScript,
  incrementScript,
  seedScript,
  slidingWindowScript,
} from './rate-limit-scripts.ts';

export interface RedisOptions {
  redis: Redis;
  /** Prepended to every key, so several deployments (or tests) can share one Redis. Default `ponder:`. */
  keyPrefix?: string;
}

export interface RedisConcurrencyLimiterOptions extends RedisOptions {
  /** A ticket not refreshed for this long expires (its holder crashed or lost Redis). Default 30 000 ms. */
  ticketTtlMs?: number;
  /** How often held tickets are refreshed. Default a third of the TTL. */
  heartbeatMs?: number;
  /** Heartbeat failures and tickets found expired (reported, never thrown). */
  onError?: (err: unknown) => void;
}

/**
 * Per-key concurrency across processes: one sorted set per key, a member per ticket scored by its
 * expiry. Held tickets are refreshed by a heartbeat; a crashed process's tickets lapse after the TTL.
 */
export class RedisConcurrencyLimiter implements ConcurrencyLimiter, AsyncDisposable {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #ttlMs: number;
  readonly #heartbeatMs: number;
  readonly #onError: (err: unknown) => void;
  /** ticketId → Redis key, for the heartbeat. */
  readonly #held = new Map<string, string>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #beating = false;

  constructor(opts: RedisConcurrencyLimiterOptions) {
    this.#redis = opts.redis;
    this.#prefix = `${opts.keyPrefix ?? 'ponder:'}conc:`;
    this.#ttlMs = Math.max(100, Math.floor(opts.ticketTtlMs ?? 30_000));
    this.#heartbeatMs = Math.max(10, Math.floor(opts.heartbeatMs ?? this.#ttlMs / 3));
    this.#onError = opts.onError ?? (() => {});
  }

  async tryAcquire(key: string, limit: number, ticketId: string): Promise<boolean> {
    const k = this.#prefix + key;
    const ok = (await acquireScript.run(this.#redis, [k], [limit, ticketId, this.#ttlMs])) === 1;
    if (ok) {
      this.#held.set(ticketId, k);
      this.#startHeartbeat();
    }
    return ok;
  }

  async release(key: string, ticketId: string): Promise<void> {
    this.#held.delete(ticketId);
    if (this.#held.size === 0) this.#stopHeartbeat();
    await this.#redis.zrem(this.#prefix + key, ticketId);
  }

  async count(key: string): Promise<number> {
    return Number(await countScript.run(this.#redis, [this.#prefix + key], []));
  }

  /** Tickets this instance holds and refreshes. */
  get held(): number {
    return this.#held.size;
  }

  #startHeartbeat(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.#beat(), this.#heartbeatMs);
    this.#timer.unref();
  }

  #stopHeartbeat(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #beat(): Promise<void> {
    if (this.#beating) return;
    this.#beating = true;
    try {
      await Promise.all(
        [...this.#held].map(async ([ticketId, key]) => {
          try {
            const alive = await heartbeatScript.run(this.#redis, [key], [ticketId, this.#ttlMs]);
            if (alive !== 1 && this.#held.get(ticketId) === key) {
              this.#held.delete(ticketId);
              this.#onError(new Error(`concurrency ticket expired before its heartbeat (key ${key})`));
            }
          } catch (err) {
            this.#onError(err);
          }
        }),
      );
    } finally {
      this.#beating = false;
    }
    if (this.#held.size === 0) this.#stopHeartbeat();
  }

  /** Stops the heartbeat and releases every ticket still held (best effort). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#stopHeartbeat();
    const held = [...this.#held];
    this.#held.clear();
    await Promise.allSettled(held.map(([ticketId, key]) => this.#redis.zrem(key, ticketId)));
  }
}

function toCount(reply: unknown): number | null {
  if (reply === null || reply === undefined) return null;
  const n = Number(reply);
  return Number.isFinite(n) ? n : null;
}

export class RedisCounterStore implements CounterStore {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(opts: RedisOptions) {
    this.#redis = opts.redis;
    this.#prefix = `${opts.keyPrefix ?? 'ponder:'}cnt:`;
  }

  async get(key: string): Promise<number | null> {
    return toCount(await this.#redis.get(this.#prefix + key));
  }

  async seed(key: string, value: number, ttlMs: number): Promise<number> {
    const r = await seedScript.run(this.#redis, [this.#prefix + key], [Math.floor(value), ttlPx(ttlMs)]);
    return toCount(r) ?? value;
  }

  async incrementExisting(key: string, by: number): Promise<number | null> {
    return toCount(await incrementExistingScript.run(this.#redis, [this.#prefix + key], [Math.floor(by)]));
  }

  async increment(key: string, by: number, ttlMs: number): Promise<number> {
    return Number(
      await incrementScript.run(this.#redis, [this.#prefix + key], [Math.floor(by), ttlPx(ttlMs)]),
    );
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    return (await this.#redis.set(this.#prefix + key, '1', 'PX', ttlPx(ttlMs), 'NX')) === 'OK';
  }

  async delete(key: string): Promise<void> {
    await this.#redis.del(this.#prefix + key);
  }
}

function ttlPx(ms: number): number {
  return Math.max(1, Math.ceil(ms));
}

export class RedisRateLimiter implements RateLimiter {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(opts: RedisOptions) {
    this.#redis = opts.redis;
    this.#prefix = `${opts.keyPrefix ?? 'ponder:'}rl:`;
  }

  async #run(key: string, windowMs: number, limit: number, cost: number) {
    const reply = (await slidingWindowScript.run(
      this.#redis,
      [this.#prefix + key],
      [Math.max(1, Math.floor(windowMs)), Number.isFinite(limit) ? limit : -1, cost],
    )) as [number, string, string, string, string];
    const [allowed, now, window, current, previous] = reply;
    return {
      allowed: allowed === 1,
      now: Number(now),
      state: { window: Number(window), current: Number(current), previous: Number(previous) },
    };
  }

  async hit(key: string, opts: RateLimitOptions): Promise<RateLimitResult> {
    const cost = opts.cost ?? 1;
    const { allowed, now, state } = await this.#run(key, opts.windowMs, opts.limit, cost);
    return {
      allowed,
      count: slidingCount(state, now, opts.windowMs),
      limit: opts.limit,
      retryAfterMs: allowed ? 0 : retryAfterMs(state, now, opts.windowMs, opts.limit, cost),
    };
  }

  async peek(key: string, windowMs: number): Promise<number> {
    const { now, state } = await this.#run(key, windowMs, -1, 0);
    return slidingCount(state, now, windowMs);
  }
}

/** All three primitives on one connection and prefix: what `createCapacity({ shared })` takes. */
export function createRedisPrimitives(opts: RedisConcurrencyLimiterOptions): SharedPrimitives {
  const limiter = new RedisConcurrencyLimiter(opts);
  return {
    limiter,
    counters: new RedisCounterStore(opts),
    rateLimiter: new RedisRateLimiter(opts),
    [Symbol.asyncDispose]: () => limiter[Symbol.asyncDispose](),
  };
}
