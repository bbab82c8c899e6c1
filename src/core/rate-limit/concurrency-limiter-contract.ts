/**
 * Behaviour every `ConcurrencyLimiter` must show, run by memory.test.ts here and by the Redis tests in
 * src/adapters/redis/. Ticket expiry and heartbeats are the Redis implementation's own (tested there).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AdmissionController } from '../admission/controller.ts';
import { type InstancePair, withPair } from './contract-pair.ts';
import type { ConcurrencyLimiter } from './types.ts';

export function concurrencyLimiterContract(
  name: string,
  make: () => Promise<InstancePair<ConcurrencyLimiter>>,
): void {
  test(`${name}: one cap per key across instances; acquire and release are idempotent per ticket`, () =>
    withPair(make, async (a, b) => {
      assert.equal(await a.tryAcquire('user-1', 2, 't1'), true);
      assert.equal(await a.tryAcquire('user-1', 2, 't1'), true, 'the same ticket again');
      assert.equal(await b.tryAcquire('user-1', 2, 't2'), true);
      assert.equal(await b.tryAcquire('user-1', 2, 't3'), false);
      assert.equal(await a.tryAcquire('user-2', 2, 't3'), true, 'keys are independent');
      assert.equal(await a.count('user-1'), 2);
      await a.release('user-1', 't1');
      await b.release('user-1', 't1');
      await a.release('user-1', 'never-held');
      assert.equal(await b.count('user-1'), 1);
      assert.equal(await b.tryAcquire('user-1', 2, 't3'), true);
      for (const [key, ticket] of [
        ['user-1', 't2'],
        ['user-1', 't3'],
        ['user-2', 't3'],
      ] as const) {
        await b.release(key, ticket);
      }
      assert.equal(await a.count('user-1'), 0);
      assert.equal(await a.count('user-2'), 0);
    }));

  test(`${name}: a burst of 20 acquisitions over two instances takes exactly the limit`, () =>
    withPair(make, async (a, b) => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).tryAcquire('burst', 5, `t${i}`)),
      );
      assert.equal(results.filter(Boolean).length, 5);
      assert.equal(await a.count('burst'), 5);
    }));

  test(`${name}: two admission controllers on it enforce one per-user cap`, () =>
    withPair(make, async (la, lb) => {
      const a = new AdmissionController({ capacity: 4, limiter: la, sharedRetryMs: 20 });
      const b = new AdmissionController({ capacity: 4, limiter: lb, sharedRetryMs: 20 });
      // The controllers' retry timers are unref'd (a queue never keeps a process alive); in a server the
      // listening socket does that. Here nothing else would, and Node 20's runner then cancels the test.
      const keepAlive = setInterval(() => {}, 1000);
      try {
        const plan = { maxConcurrency: 1, priority: 1 };
        const ta = await a.admit({ userId: 'user-adm', plan });
        let admittedB = false;
        const pb = b.admit({ userId: 'user-adm', plan }).then((t) => {
          admittedB = true;
          return t;
        });
        // Several refused retries (every 20 ms) while a holds the user's one place.
        await sleep(100);
        assert.equal(admittedB, false);
        assert.equal(b.stats().admitted, 0);
        ta.release();
        const tb = await pb;
        assert.equal(await lb.count('user-adm'), 1);
        tb.release();
        // A shared limiter may take the release asynchronously.
        for (let i = 0; i < 100 && (await la.count('user-adm')) > 0; i++) await sleep(10);
        assert.equal(await la.count('user-adm'), 0);
      } finally {
        clearInterval(keepAlive);
        a.close();
        b.close();
      }
    }));
}
