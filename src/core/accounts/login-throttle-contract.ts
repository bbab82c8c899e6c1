/**
 * Behaviour every `LoginThrottle` must show, run by the memory tests here and the Redis tests in
 * src/adapters/redis/. `make` answers two throttles sharing one state (two instances, or one twice).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LoginThrottle } from './login-throttle.ts';

export interface ThrottlePair {
  a: LoginThrottle;
  b: LoginThrottle;
  close(): Promise<void>;
}

export function loginThrottleContract(name: string, make: () => Promise<ThrottlePair>): void {
  const rule = { limit: 10, windowMs: 60_000 };

  test(`${name}: a burst of 30 reservations over two instances lets exactly the limit through`, async () => {
    const { a, b, close } = await make();
    try {
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).reserve([{ key: 'burst', rule }])),
      );
      assert.equal(results.filter((r) => r.allowed).length, 10);
      for (const r of results.filter((x) => !x.allowed)) {
        assert.ok(r.retryAfterSeconds >= 1 && r.retryAfterSeconds <= 60, String(r.retryAfterSeconds));
      }
      assert.deepEqual((await a.reserve([{ key: 'burst', rule, soft: true }])).counts, [10]);
    } finally {
      await close();
    }
  });

  test(`${name}: all keys or none; soft keys never refuse and stop growing at their limit`, async () => {
    const { a, b, close } = await make();
    try {
      const one = { limit: 1, windowMs: 60_000 };
      assert.equal(
        (
          await a.reserve([
            { key: 'x', rule },
            { key: 'y', rule: one },
          ])
        ).allowed,
        true,
      );
      const refused = await b.reserve([
        { key: 'x', rule },
        { key: 'y', rule: one },
      ]);
      assert.equal(refused.allowed, false);
      assert.deepEqual(refused.counts, [1, 1]);
      assert.deepEqual((await a.reserve([{ key: 'x', rule, soft: true }])).counts, [1], 'x not counted');
      for (let i = 0; i < 3; i++) {
        assert.equal((await b.reserve([{ key: 's', rule: one, soft: true }])).allowed, true);
      }
      assert.deepEqual((await a.reserve([{ key: 's', rule: one, soft: true }])).counts, [1]);
    } finally {
      await close();
    }
  });

  test(`${name}: refund takes one attempt back (idempotent); reset clears a key`, async () => {
    const { a, b, close } = await make();
    try {
      const two = { limit: 2, windowMs: 60_000 };
      const first = await a.reserve([
        { key: 'r', rule: two },
        { key: 'q', rule: two },
      ]);
      await a.reserve([{ key: 'r', rule: two }]);
      assert.equal((await b.reserve([{ key: 'r', rule: two }])).allowed, false);
      await b.refund(first);
      await b.refund(first);
      const after = await a.reserve([
        { key: 'r', rule: two },
        { key: 'q', rule: two },
      ]);
      assert.equal(after.allowed, true);
      assert.deepEqual(after.counts, [1, 0]);
      await a.reset('r');
      assert.deepEqual((await b.reserve([{ key: 'r', rule: two }])).counts, [0]);
    } finally {
      await close();
    }
  });
}
