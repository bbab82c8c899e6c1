/** The Redis primitives against the shared contract suites, plus what only Redis has (TTLs, heartbeats). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { configSchema } from '../../config/schema.ts';
import { createCapacity } from '../../core/admission/capacity.ts';
import { concurrencyLimiterContract } from '../../core/rate-limit/concurrency-limiter-contract.ts';
import type { InstancePair } from '../../core/rate-limit/contract-pair.ts';
import { counterStoreContract } from '../../core/rate-limit/counter-store-contract.ts';
import { powGateContract } from '../../core/rate-limit/pow-gate-contract.ts';
import { rateLimiterContract } from '../../core/rate-limit/rate-limiter-contract.ts';
import type { SharedPrimitives } from '../../core/rate-limit/types.ts';
import { createRedisPrimitives, RedisConcurrencyLimiter, RedisCounterStore } from './rate-limit.ts';
import { connectTestRedis, skipWithoutRedis, testRedis } from './test-redis.ts';

/** Two instances' primitives on two connections under one fresh prefix. */
async function twoInstances(): Promise<InstancePair<SharedPrimitives>> {
  const r = await testRedis();
  const a = createRedisPrimitives({ redis: r.r1, keyPrefix: r.keyPrefix });
  const b = createRedisPrimitives({ redis: r.r2, keyPrefix: r.keyPrefix });
  return {
    a,
    b,
    async close() {
      await a[Symbol.asyncDispose]();
      await b[Symbol.asyncDispose]();
      const left = await r.keys();
      await r.close();
      assert.deepEqual(
        left.filter((k) => k.includes(':conc:')),
        [],
        'no ticket left behind',
      );
    },
  };
}

function part<K extends keyof SharedPrimitives>(key: K) {
  return async (): Promise<InstancePair<SharedPrimitives[K]>> => {
    const { a, b, close } = await twoInstances();
    return { a: a[key], b: b[key], close };
  };
}

describe('Redis primitives', { skip: skipWithoutRedis }, () => {
  concurrencyLimiterContract('redis', part('limiter'));
  counterStoreContract('redis', part('counters'));
  rateLimiterContract('redis', part('rateLimiter'));
  powGateContract('redis', twoInstances);

  test('redis: a live holder keeps its ticket by heartbeat; a crashed one loses it after the TTL', async () => {
    await using r = await testRedis();
    const crashed = connectTestRedis();
    await crashed.ping();
    const errors: unknown[] = [];
    const a = new RedisConcurrencyLimiter({
      redis: crashed,
      keyPrefix: r.keyPrefix,
      ticketTtlMs: 500,
      heartbeatMs: 50,
      onError: (e) => errors.push(e),
    });
    await using b = new RedisConcurrencyLimiter({ redis: r.r2, keyPrefix: r.keyPrefix, ticketTtlMs: 500 });
    assert.equal(await a.tryAcquire('user-c', 1, 'ta'), true);
    assert.equal(a.held, 1);
    await sleep(800); // longer than the TTL: only the heartbeat keeps it
    assert.equal(await b.tryAcquire('user-c', 1, 'tb'), false);
    crashed.disconnect(); // the process dies without releasing
    await sleep(1000);
    assert.equal(await b.count('user-c'), 0);
    assert.equal(await b.tryAcquire('user-c', 1, 'tb'), true);
    await b.release('user-c', 'tb');
    await a[Symbol.asyncDispose]();
    assert.ok(errors.length > 0, 'heartbeat failures are reported');
  });

  test('redis: counters expire (PTTL set on create, kept by increments)', async () => {
    await using r = await testRedis();
    const c = new RedisCounterStore({ redis: r.r1, keyPrefix: r.keyPrefix });
    await c.increment('c2', 2, 10_000);
    await c.seed('c3', 1, 10_000);
    await c.claim('nonce', 10_000);
    for (const key of ['c2', 'c3', 'nonce']) {
      const ttl = await r.r1.pttl(`${r.keyPrefix}cnt:${key}`);
      assert.ok(ttl > 0 && ttl <= 10_000, `${key}: ${ttl}`);
    }
    await c.increment('c2', 2, 99_000_000);
    assert.ok((await r.r1.pttl(`${r.keyPrefix}cnt:c2`)) <= 10_000, 'an increment does not extend the expiry');
  });

  test('redis: createCapacity on Redis primitives gives back its tickets on dispose', async () => {
    await using r = await testRedis();
    const cap = createCapacity({
      config: configSchema.parse({}),
      usage: { totals: async () => ({ tokens: 0, reasoningMessages: 0 }) },
      powSecret: 'capacity-test-secret-0123',
      shared: createRedisPrimitives({ redis: r.r1, keyPrefix: r.keyPrefix }),
      admission: { capacity: 2 },
    });
    assert.equal(cap.admission.capacity, 2);
    await cap.admission.admit({ userId: 'u', plan: cap.plans.resolve('free') }); // never released
    const other = new RedisConcurrencyLimiter({ redis: r.r2, keyPrefix: r.keyPrefix });
    assert.equal(await other.count('u'), 1, 'the ticket is in Redis');
    await cap[Symbol.asyncDispose]();
    assert.equal(await other.count('u'), 0);
  });
});
