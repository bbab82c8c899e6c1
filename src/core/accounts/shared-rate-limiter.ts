import type { RateLimiter as CounterLimiter, CounterStore } from '../rate-limit/types.ts';
import type { RateLimiter, RateLimitRule, RateLimitState } from './rate-limiter.ts';

/** How long a reset marker lives; far longer than any throttling window. */
const EPOCH_TTL_MS = 24 * 60 * 60_000;

/**
 * Login/sign-up throttling on the shared rate-limit primitives (Redis across instances): the
 * sliding-window counter of `core/rate-limit` plus an epoch counter per key that `reset` bumps, so a
 * successful login clears the failures without deleting keys.
 */
export class SharedRateLimiter implements RateLimiter {
  readonly #limiter: CounterLimiter;
  readonly #counters: CounterStore;

  constructor(limiter: CounterLimiter, counters: CounterStore) {
    this.#limiter = limiter;
    this.#counters = counters;
  }

  async hit(key: string, rule: RateLimitRule): Promise<RateLimitState> {
    const result = await this.#limiter.hit(await this.#key(key), {
      limit: rule.limit,
      windowMs: rule.windowMs,
    });
    return this.#state(result.count, rule, result.retryAfterMs);
  }

  async peek(key: string, rule: RateLimitRule): Promise<RateLimitState> {
    return this.#state(await this.#limiter.peek(await this.#key(key), rule.windowMs), rule, 0);
  }

  async reset(key: string): Promise<void> {
    await this.#counters.increment(`epoch:${key}`, 1, EPOCH_TTL_MS);
  }

  async #key(key: string): Promise<string> {
    const epoch = (await this.#counters.get(`epoch:${key}`)) ?? 0;
    return `${key}#${epoch}`;
  }

  #state(count: number, rule: RateLimitRule, retryAfterMs: number): RateLimitState {
    const limited = count >= rule.limit;
    // The two-window approximation does not say when a peeked key frees up: the window is the safe bound.
    const waitMs = retryAfterMs > 0 ? retryAfterMs : rule.windowMs;
    return {
      count: Math.floor(count),
      limited,
      retryAfterSeconds: limited ? Math.max(1, Math.ceil(waitMs / 1000)) : 0,
    };
  }
}
