import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from '../admission/clock.ts';
import { concurrencyLimiterContract } from './concurrency-limiter-contract.ts';
import type { InstancePair } from './contract-pair.ts';
import { counterStoreContract } from './counter-store-contract.ts';
import { MemoryConcurrencyLimiter, MemoryCounterStore, MemoryRateLimiter } from './memory.ts';
import { rateLimiterContract } from './rate-limiter-contract.ts';

/** One process: both "instances" are the same object. */
function shared<T>(make: () => T): () => Promise<InstancePair<T>> {
  return async () => {
    const one = make();
    return { a: one, b: one, close: async () => {} };
  };
}

concurrencyLimiterContract(
  'memory',
  shared(() => new MemoryConcurrencyLimiter()),
);
counterStoreContract(
  'memory',
  shared(() => new MemoryCounterStore()),
);
rateLimiterContract(
  'memory',
  shared(() => new MemoryRateLimiter()),
);

describe('MemoryRateLimiter (sliding window)', () => {
  test('allows up to the limit, refuses with a Retry-After, slides back open', () => {
    const clock = new ManualClock(0);
    const rl = new MemoryRateLimiter({ clock });
    const opts = { limit: 10, windowMs: 1000 };
    for (let i = 0; i < 10; i++) assert.equal(rl.hit('ip', opts).allowed, true);
    const refused = rl.hit('ip', opts);
    assert.equal(refused.allowed, false);
    assert.equal(refused.count, 10);
    // All 10 are in the current window: they must slide out by 10 % before one more fits.
    assert.equal(refused.retryAfterMs, 1100);
    clock.advance(1099);
    assert.equal(rl.hit('ip', opts).allowed, false);
    clock.advance(1);
    assert.equal(rl.hit('ip', opts).allowed, true);
    assert.equal(rl.hit('other', opts).allowed, true);
    clock.advance(5000);
    assert.equal(rl.peek('ip', 1000), 0);
  });

  test('the previous window counts for its overlap; refused hits are not counted', () => {
    const clock = new ManualClock(0);
    const rl = new MemoryRateLimiter({ clock });
    for (let i = 0; i < 4; i++) rl.hit('k', { limit: 4, windowMs: 1000 });
    assert.equal(rl.hit('k', { limit: 4, windowMs: 1000 }).allowed, false);
    clock.advance(1500);
    assert.equal(rl.peek('k', 1000), 2);
    assert.equal(rl.hit('k', { limit: Number.POSITIVE_INFINITY, windowMs: 1000, cost: 3 }).count, 5);
  });
});

describe('MemoryCounterStore', () => {
  test('counters and claims expire after their time to live', async () => {
    const clock = new ManualClock(0);
    const c = new MemoryCounterStore({ clock });
    assert.equal(await c.seed('a', 10, 1000), 10);
    assert.equal(await c.increment('b', 2, 500), 2);
    assert.equal(await c.increment('b', 2, 5000), 4, 'an increment keeps the first expiry');
    assert.equal(await c.claim('once', 1000), true);
    clock.advance(500);
    assert.equal(await c.get('b'), null);
    assert.equal(await c.incrementExisting('a', 5), 15);
    clock.advance(500);
    assert.equal(await c.get('a'), null);
    assert.equal(await c.incrementExisting('a', 5), null);
    assert.equal(await c.claim('once', 1000), true);
  });
});
