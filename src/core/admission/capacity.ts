/**
 * One call that builds admission control, plans, quotas, rate limits and the sign-up PoW gate from
 * config, in-process or on Redis. The server keeps the result for the process's life and disposes it
 * at shutdown (before quitting the Redis connection it passed in).
 *
 * ```ts
 * const redis = config.redisUrl ? new Redis(config.redisUrl) : undefined;
 * const capacity = createCapacity({ config, usage: store.usage, redis, powSecret, observer });
 * // chat turn: capacity.plans.resolve(user.plan) → capacity.quotas.check(...) → capacity.admission.request(...)
 * // sign-up:   capacity.pow.recordSignup() / isRequired() / issue() / verify(); per-IP: capacity.rateLimiter.hit(`signup:${ip}`, …)
 * await capacity[Symbol.asyncDispose]();
 * ```
 */
import type { Redis } from 'ioredis';
import type { PonderConfig } from '../../config/schema.ts';
import { PlanCatalog } from '../quotas/plans.ts';
import { QuotaService, type UsageSource } from '../quotas/quota-service.ts';
import { MemoryConcurrencyLimiter, MemoryCounterStore, MemoryRateLimiter } from '../rate-limit/memory.ts';
import { PowGate, type PowGateOptions } from '../rate-limit/pow.ts';
import { RedisConcurrencyLimiter, RedisCounterStore, RedisRateLimiter } from '../rate-limit/redis.ts';
import type { ConcurrencyLimiter, CounterStore, RateLimiter } from '../rate-limit/types.ts';
import { type Clock, systemClock } from './clock.ts';
import { AdmissionController } from './controller.ts';
import type { AdmissionObserver } from './observer.ts';
import type { AdmissionControllerOptions } from './types.ts';

/** Assumed concurrency of an upstream without `maxConcurrent`. */
export const DEFAULT_UPSTREAM_CONCURRENCY = 16;

export interface CapacityOptions {
  config: Pick<PonderConfig, 'plans' | 'defaultPlan' | 'engine' | 'upstreams'>;
  /** The usage ledger (`store.usage`). */
  usage: UsageSource;
  /** Shared state across processes when given (from `config.redisUrl`); the caller owns the connection. */
  redis?: Redis;
  /** Prefix of every Redis key. Default `ponder:`. */
  keyPrefix?: string;
  /** HMAC key of PoW challenges (≥ 16 bytes, the same on every process; e.g. derived from the master key). */
  powSecret: string | Uint8Array;
  /** Admission settings; `capacity` defaults to engine slots + upstream concurrency. */
  admission?: Partial<Omit<AdmissionControllerOptions, 'limiter' | 'clock' | 'observer'>>;
  pow?: Partial<Omit<PowGateOptions, 'secret' | 'rateLimiter' | 'replayStore' | 'clock'>>;
  /** Ticket TTL on Redis (a crashed process's tickets lapse after it). Default 30 000 ms. */
  ticketTtlMs?: number;
  observer?: AdmissionObserver;
  clock?: Clock;
}

export interface Capacity extends AsyncDisposable {
  admission: AdmissionController;
  plans: PlanCatalog;
  quotas: QuotaService;
  pow: PowGate;
  /** For per-IP / per-account limits on sign-up and login (their own budget, independent of inference). */
  rateLimiter: RateLimiter;
  counters: CounterStore;
  limiter: ConcurrencyLimiter;
}

/** Engine slots plus each upstream's `maxConcurrent` (or `DEFAULT_UPSTREAM_CONCURRENCY`). */
export function defaultCapacity(config: Pick<PonderConfig, 'engine' | 'upstreams'>): number {
  return config.upstreams.reduce(
    (sum, u) => sum + (u.maxConcurrent ?? DEFAULT_UPSTREAM_CONCURRENCY),
    config.engine.slots,
  );
}

export function createCapacity(opts: CapacityOptions): Capacity {
  const clock = opts.clock ?? systemClock;
  const keyPrefix = opts.keyPrefix ?? 'ponder:';
  const redis = opts.redis;
  const observer = opts.observer;
  const limiter = redis
    ? new RedisConcurrencyLimiter({
        redis,
        keyPrefix,
        ...(opts.ticketTtlMs !== undefined ? { ticketTtlMs: opts.ticketTtlMs } : {}),
        onError: (err) => observer?.onError?.(err, 'acquire'),
      })
    : new MemoryConcurrencyLimiter();
  const counters: CounterStore = redis
    ? new RedisCounterStore({ redis, keyPrefix })
    : new MemoryCounterStore({ clock });
  const rateLimiter: RateLimiter = redis
    ? new RedisRateLimiter({ redis, keyPrefix })
    : new MemoryRateLimiter({ clock });
  const admission = new AdmissionController({
    ...opts.admission,
    capacity: opts.admission?.capacity ?? defaultCapacity(opts.config),
    limiter,
    clock,
    ...(observer ? { observer } : {}),
  });
  const plans = new PlanCatalog(opts.config.plans, opts.config.defaultPlan);
  const quotas = new QuotaService({ usage: opts.usage, counters, clock });
  const pow = new PowGate({ ...opts.pow, secret: opts.powSecret, rateLimiter, replayStore: counters, clock });
  return {
    admission,
    plans,
    quotas,
    pow,
    rateLimiter,
    counters,
    limiter,
    async [Symbol.asyncDispose]() {
      admission.close();
      if (limiter instanceof RedisConcurrencyLimiter) await limiter[Symbol.asyncDispose]();
    },
  };
}
