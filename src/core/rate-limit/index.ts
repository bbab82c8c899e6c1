export {
  MemoryConcurrencyLimiter,
  MemoryCounterStore,
  MemoryRateLimiter,
  memoryPrimitives,
} from './memory.ts';
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
export type {
  ConcurrencyLimiter,
  CounterStore,
  MaybePromise,
  RateLimiter,
  RateLimitOptions,
  RateLimitResult,
  SharedPrimitives,
} from './types.ts';
