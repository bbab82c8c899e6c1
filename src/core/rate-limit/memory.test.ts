import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from '../admission/clock.ts';
import { MemoryConcurrencyLimiter, MemoryCounterStore, MemoryRateLimiter } from './memory.ts';

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
  test('seed, increments, expiry and claims', async () => {
    const clock = new ManualClock(0);
    const c = new MemoryCounterStore({ clock });
    assert.equal(await c.get('a'), null);
    assert.equal(await c.incrementExisting('a', 5), null);
    assert.equal(await c.seed('a', 10, 1000), 10);
    assert.equal(await c.seed('a', 99, 1000), 10);
    assert.equal(await c.incrementExisting('a', 5), 15);
    assert.equal(await c.increment('b', 2, 500), 2);
    assert.equal(await c.increment('b', 2, 500), 4);
    assert.equal(await c.claim('once', 1000), true);
    assert.equal(await c.claim('once', 1000), false);
    clock.advance(1000);
    assert.equal(await c.get('a'), null);
    assert.equal(await c.get('b'), null);
    assert.equal(await c.claim('once', 1000), true);
    await c.delete('once');
    assert.equal(await c.claim('once', 1000), true);
  });
});

describe('MemoryConcurrencyLimiter', () => {
  test('caps holders per key; acquire and release are idempotent per ticket', () => {
    const l = new MemoryConcurrencyLimiter();
    assert.equal(l.tryAcquire('u', 2, 't1'), true);
    assert.equal(l.tryAcquire('u', 2, 't1'), true);
    assert.equal(l.tryAcquire('u', 2, 't2'), true);
    assert.equal(l.tryAcquire('u', 2, 't3'), false);
    assert.equal(l.tryAcquire('v', 1, 't3'), true);
    l.release('u', 't1');
    l.release('u', 't1');
    assert.equal(l.count('u'), 1);
    assert.equal(l.tryAcquire('u', 2, 't3'), true);
  });
});
