/** In-process implementations of the shared-state primitives (one Ponder process, no Redis). */
import { type Clock, systemClock } from '../admission/clock.ts';
import { retryAfterMs, rollWindow, slidingCount, type WindowState } from './sliding-window.ts';
import type {
  ConcurrencyLimiter,
  CounterStore,
  RateLimiter,
  RateLimitOptions,
  RateLimitResult,
  SharedPrimitives,
} from './types.ts';

export class MemoryConcurrencyLimiter implements ConcurrencyLimiter {
  #held = new Map<string, Set<string>>();

  tryAcquire(key: string, limit: number, ticketId: string): boolean {
    let set = this.#held.get(key);
    if (set?.has(ticketId)) return true;
    if ((set?.size ?? 0) >= limit) return false;
    if (!set) {
      set = new Set();
      this.#held.set(key, set);
    }
    set.add(ticketId);
    return true;
  }

  release(key: string, ticketId: string): void {
    const set = this.#held.get(key);
    if (!set) return;
    set.delete(ticketId);
    if (set.size === 0) this.#held.delete(key);
  }

  count(key: string): number {
    return this.#held.get(key)?.size ?? 0;
  }
}

interface CounterEntry {
  value: number;
  expiresAt: number;
}

/** Sweeps expired keys once the map grows past this, so per-IP or per-user keys cannot pile up. */
const SWEEP_AT = 10_000;

export class MemoryCounterStore implements CounterStore {
  #entries = new Map<string, CounterEntry>();
  #sweepAt = SWEEP_AT;
  readonly #clock: Clock;

  constructor(opts: { clock?: Clock } = {}) {
    this.#clock = opts.clock ?? systemClock;
  }

  #live(key: string): CounterEntry | undefined {
    const e = this.#entries.get(key);
    if (e && e.expiresAt <= this.#clock.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return e;
  }

  #set(key: string, entry: CounterEntry): void {
    this.#entries.set(key, entry);
    if (this.#entries.size >= this.#sweepAt) {
      const now = this.#clock.now();
      for (const [k, e] of this.#entries) if (e.expiresAt <= now) this.#entries.delete(k);
      this.#sweepAt = Math.max(SWEEP_AT, this.#entries.size * 2);
    }
  }

  async get(key: string): Promise<number | null> {
    return this.#live(key)?.value ?? null;
  }

  async seed(key: string, value: number, ttlMs: number): Promise<number> {
    const e = this.#live(key);
    if (e) return e.value;
    this.#set(key, { value, expiresAt: this.#clock.now() + ttlMs });
    return value;
  }

  async incrementExisting(key: string, by: number): Promise<number | null> {
    const e = this.#live(key);
    if (!e) return null;
    e.value += by;
    return e.value;
  }

  async increment(key: string, by: number, ttlMs: number): Promise<number> {
    const e = this.#live(key);
    if (e) {
      e.value += by;
      return e.value;
    }
    this.#set(key, { value: by, expiresAt: this.#clock.now() + ttlMs });
    return by;
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    if (this.#live(key)) return false;
    this.#set(key, { value: 1, expiresAt: this.#clock.now() + ttlMs });
    return true;
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }
}

interface RateEntry extends WindowState {
  windowMs: number;
}

export class MemoryRateLimiter implements RateLimiter {
  #entries = new Map<string, RateEntry>();
  #sweepAt = SWEEP_AT;
  readonly #clock: Clock;

  constructor(opts: { clock?: Clock } = {}) {
    this.#clock = opts.clock ?? systemClock;
  }

  #state(key: string, now: number, windowMs: number): WindowState {
    const e = this.#entries.get(key);
    return rollWindow(e && e.windowMs === windowMs ? e : undefined, now, windowMs);
  }

  hit(key: string, opts: RateLimitOptions): RateLimitResult {
    const now = this.#clock.now();
    const cost = opts.cost ?? 1;
    const state = this.#state(key, now, opts.windowMs);
    const before = slidingCount(state, now, opts.windowMs);
    const allowed = before + cost <= opts.limit;
    if (allowed) state.current += cost;
    this.#entries.set(key, { ...state, windowMs: opts.windowMs });
    if (this.#entries.size >= this.#sweepAt) this.#sweep(now);
    return {
      allowed,
      count: allowed ? before + cost : before,
      limit: opts.limit,
      retryAfterMs: allowed ? 0 : retryAfterMs(state, now, opts.windowMs, opts.limit, cost),
    };
  }

  peek(key: string, windowMs: number): number {
    const now = this.#clock.now();
    return slidingCount(this.#state(key, now, windowMs), now, windowMs);
  }

  #sweep(now: number): void {
    for (const [k, e] of this.#entries) {
      if (e.window < Math.floor(now / e.windowMs) - 1) this.#entries.delete(k);
    }
    this.#sweepAt = Math.max(SWEEP_AT, this.#entries.size * 2);
  }
}

/** The in-process primitives of one Ponder process; disposing them has nothing to give back. */
export function memoryPrimitives(opts: { clock?: Clock } = {}): SharedPrimitives {
  return {
    limiter: new MemoryConcurrencyLimiter(),
    counters: new MemoryCounterStore(opts),
    rateLimiter: new MemoryRateLimiter(opts),
    async [Symbol.asyncDispose]() {},
  };
}
