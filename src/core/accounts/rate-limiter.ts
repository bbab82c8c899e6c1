/**
 * Sliding-window counters for login and sign-up throttling, behind an interface so a Redis-backed
 * implementation can share the state between instances later.
 */

export interface RateLimitRule {
  /** Events allowed inside the window. */
  limit: number;
  windowMs: number;
}

export interface RateLimitState {
  /** Events counted inside the window (after this call's own hit, for `hit`). */
  count: number;
  /** True when `count` has reached the limit. */
  limited: boolean;
  /** Seconds until the oldest counted event leaves the window (≥ 1 when limited, else 0). */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  /** Counts one event for `key`. */
  hit(key: string, rule: RateLimitRule): Promise<RateLimitState>;
  /** The state without counting. */
  peek(key: string, rule: RateLimitRule): Promise<RateLimitState>;
  reset(key: string): Promise<void>;
}

export interface MemoryRateLimiterOptions {
  /** Keys tracked at most; the least recently used are dropped beyond it. Default 100 000. */
  maxKeys?: number;
  now?: () => number;
}

/** In-process implementation: exact sliding window over event timestamps. */
export class MemoryRateLimiter implements RateLimiter {
  readonly #events = new Map<string, number[]>();
  readonly #maxKeys: number;
  readonly #now: () => number;

  constructor(options: MemoryRateLimiterOptions = {}) {
    this.#maxKeys = options.maxKeys ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  async hit(key: string, rule: RateLimitRule): Promise<RateLimitState> {
    const now = this.#now();
    const events = this.#prune(key, rule, now);
    // Events beyond the limit are not stored: an attacker cannot grow one key's array without bound.
    if (events.length < rule.limit) events.push(now);
    this.#events.delete(key);
    this.#events.set(key, events);
    if (this.#events.size > this.#maxKeys) {
      const oldest = this.#events.keys().next().value;
      if (oldest !== undefined) this.#events.delete(oldest);
    }
    return this.#state(events, rule, now);
  }

  async peek(key: string, rule: RateLimitRule): Promise<RateLimitState> {
    const now = this.#now();
    return this.#state(this.#prune(key, rule, now), rule, now);
  }

  async reset(key: string): Promise<void> {
    this.#events.delete(key);
  }

  #prune(key: string, rule: RateLimitRule, now: number): number[] {
    const events = this.#events.get(key) ?? [];
    const from = now - rule.windowMs;
    let drop = 0;
    while (drop < events.length && (events[drop] as number) <= from) drop++;
    if (drop > 0) events.splice(0, drop);
    return events;
  }

  #state(events: number[], rule: RateLimitRule, now: number): RateLimitState {
    const limited = events.length >= rule.limit;
    const oldest = events[0];
    const retryAfterSeconds =
      limited && oldest !== undefined ? Math.max(1, Math.ceil((oldest + rule.windowMs - now) / 1000)) : 0;
    return { count: events.length, limited, retryAfterSeconds };
  }
}
