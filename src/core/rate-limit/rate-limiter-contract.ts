/**
 * Behaviour every `RateLimiter` must show, run by memory.test.ts here and by the Redis tests in
 * src/adapters/redis/. How the window slides over time is tested on the memory one with a manual clock
 * (the arithmetic, sliding-window.ts, is shared); the windows here are long, so none ends mid-test.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type InstancePair, withPair } from './contract-pair.ts';
import type { RateLimiter } from './types.ts';

const HOUR = 3_600_000;

export function rateLimiterContract(name: string, make: () => Promise<InstancePair<RateLimiter>>): void {
  test(`${name}: one sliding window shared between instances; refused hits are not counted`, () =>
    withPair(make, async (a, b) => {
      const opts = { limit: 3, windowMs: HOUR };
      assert.equal((await a.hit('ip:1', opts)).allowed, true);
      assert.equal((await a.hit('ip:1', opts)).allowed, true);
      const third = await b.hit('ip:1', opts);
      assert.equal(third.allowed, true);
      assert.equal(third.retryAfterMs, 0);
      assert.ok(Math.abs(third.count - 3) < 0.01, String(third.count));
      assert.equal(third.limit, 3);
      const refused = await b.hit('ip:1', opts);
      assert.equal(refused.allowed, false);
      assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 2 * HOUR, String(refused.retryAfterMs));
      assert.ok(Math.abs(refused.count - 3) < 0.01, String(refused.count));
      assert.ok(Math.abs((await a.peek('ip:1', HOUR)) - 3) < 0.01, 'refused hits are not counted');
      assert.equal((await a.hit('ip:2', opts)).allowed, true, 'keys are independent');
      assert.equal(await b.peek('never-hit', HOUR), 0);
    }));

  test(`${name}: an infinite limit only records, with the hit's cost`, () =>
    withPair(make, async (a, b) => {
      const record = { limit: Number.POSITIVE_INFINITY, windowMs: HOUR, cost: 5 };
      assert.equal((await a.hit('rec', record)).allowed, true);
      assert.equal((await b.hit('rec', record)).allowed, true);
      assert.ok(Math.abs((await a.peek('rec', HOUR)) - 10) < 0.01);
      assert.equal((await b.hit('rec', { limit: 10, windowMs: HOUR })).allowed, false);
    }));

  test(`${name}: a burst of 30 hits over two instances lets exactly the limit through`, () =>
    withPair(make, async (a, b) => {
      const opts = { limit: 10, windowMs: HOUR };
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).hit('burst', opts)),
      );
      assert.equal(results.filter((r) => r.allowed).length, 10);
      assert.ok(results.filter((r) => !r.allowed).every((r) => r.retryAfterMs > 0));
    }));
}
