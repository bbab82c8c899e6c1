export { MemoryConcurrencyLimiter, MemoryCounterStore, MemoryRateLimiter } from './memory.ts';
export {
  leadingZeroBits,
  type PowChallenge,
  type PowFailure,
  PowGate,
  type PowGateOptions,
  type PowVerifyResult,
  powHash,
  solvePow,
} from './pow.ts';
export {
  RedisConcurrencyLimiter,
  type RedisConcurrencyLimiterOptions,
  RedisCounterStore,
  type RedisOptions,
  RedisRateLimiter,
} from './redis.ts';
export type {
  ConcurrencyLimiter,
  CounterStore,
  MaybePromise,
  RateLimiter,
  RateLimitOptions,
  RateLimitResult,
} from './types.ts';
