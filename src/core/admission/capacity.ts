/**
 * One call that builds admission control, plans, quotas, rate limits and the sign-up PoW gate from
 * config, on the shared-state primitives it is given (in-process by default; the server passes Redis
 * ones, built in src/adapters/redis/, when several processes share the work). The server keeps the
 * result for the process's life and disposes it at shutdown (before closing what the primitives run on).
 *
 * ```ts
 * const shared = redis ? createRedisPrimitives({ redis, keyPrefix, onError }) : undefined;
 * const capacity = createCapacity({ config, usage: store.usage, shared, powSecret, observer });
 * // chat turn: capacity.plans.resolve(user.plan) → capacity.quotas.check(...) → capacity.admission.request(...)
 * // sign-up:   capacity.pow.recordSignup() / isRequired() / issue() / verify(); per-IP: capacity.rateLimiter.hit(`signup:${ip}`, …)
 * await capacity[Symbol.asyncDispose]();
 * ```
 */
import type { PonderConfig } from '../../config/schema.ts';
import { PlanCatalog } from '../quotas/plans.ts';
import { QuotaService, type UsageSource } from '../quotas/quota-service.ts';
import { memoryPrimitives } from '../rate-limit/memory.ts';
import { PowGate, type PowGateOptions } from '../rate-limit/pow.ts';
import type { ConcurrencyLimiter, CounterStore, RateLimiter, SharedPrimitives } from '../rate-limit/types.ts';
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
  /**
   * Concurrency limiter, counters and rate limiter; default in-process (this process only). Disposed
   * with the capacity, after the admission controller closed.
   */
  shared?: SharedPrimitives;
  /** HMAC key of PoW challenges (≥ 16 bytes, the same on every process; e.g. derived from the master key). */
  powSecret: string | Uint8Array;
  /** Admission settings; `capacity` defaults to engine slots + upstream concurrency. */
  admission?: Partial<Omit<AdmissionControllerOptions, 'limiter' | 'clock' | 'observer'>>;
  pow?: Partial<Omit<PowGateOptions, 'secret' | 'rateLimiter' | 'replayStore' | 'clock'>>;
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
  const observer = opts.observer;
  const shared = opts.shared ?? memoryPrimitives({ clock });
  const { limiter, counters, rateLimiter } = shared;
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
      await shared[Symbol.asyncDispose]();
    },
  };
}
