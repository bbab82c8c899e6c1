/** Against the real Redis at PONDER_TEST_REDIS_URL, under a random key prefix removed afterwards. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { AdmissionController } from '../admission/controller.ts';
import { PlanCatalog } from '../quotas/plans.ts';
import { QuotaService } from '../quotas/quota-service.ts';
import { PowGate, solvePow } from './pow.ts';
import { RedisConcurrencyLimiter, RedisCounterStore, RedisRateLimiter } from './redis.ts';

const url = process.env.PONDER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `ponder-test:${randomUUID()}:`;
const connect = () =>
  new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy: () => null });
let r1: Redis;
let r2: Redis;

before(async () => {
  r1 = connect();
  r2 = connect();
  await Promise.all([r1.ping(), r2.ping()]);
});

after(async () => {
  const keys = await r1.keys(`${prefix}*`);
  if (keys.length > 0) await r1.del(...keys);
  assert.equal((await r1.keys(`${prefix}*`)).length, 0);
  await Promise.all([r1.quit(), r2.quit()]);
});

describe('RedisConcurrencyLimiter', () => {
  test('two instances on two connections share one cap', async () => {
    await using a = new RedisConcurrencyLimiter({ redis: r1, keyPrefix: prefix });
    await using b = new RedisConcurrencyLimiter({ redis: r2, keyPrefix: prefix });
    assert.equal(await a.tryAcquire('user-1', 2, 't1'), true);
    assert.equal(await b.tryAcquire('user-1', 2, 't2'), true);
    assert.equal(await b.tryAcquire('user-1', 2, 't3'), false);
    assert.equal(await a.tryAcquire('user-2', 2, 't3'), true);
    assert.equal(await a.count('user-1'), 2);
    await a.release('user-1', 't1');
    await a.release('user-1', 't1');
    assert.equal(await b.count('user-1'), 1);
    assert.equal(await b.tryAcquire('user-1', 2, 't3'), true);
    await b.release('user-1', 't2');
    await b.release('user-1', 't3');
    await a.release('user-2', 't3');
    assert.equal(a.held + b.held, 0);
  });

  test('a live holder keeps its ticket by heartbeat; a crashed one loses it after the TTL', async () => {
    const crashed = connect();
    await crashed.ping();
    const errors: unknown[] = [];
    const a = new RedisConcurrencyLimiter({
      redis: crashed,
      keyPrefix: prefix,
      ticketTtlMs: 500,
      heartbeatMs: 50,
      onError: (e) => errors.push(e),
    });
    await using b = new RedisConcurrencyLimiter({ redis: r2, keyPrefix: prefix, ticketTtlMs: 500 });
    assert.equal(await a.tryAcquire('user-c', 1, 'ta'), true);
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

  test('two admission controllers with Redis limiters enforce one per-user cap', async () => {
    await using la = new RedisConcurrencyLimiter({ redis: r1, keyPrefix: prefix });
    await using lb = new RedisConcurrencyLimiter({ redis: r2, keyPrefix: prefix });
    const a = new AdmissionController({ capacity: 4, limiter: la, sharedRetryMs: 20 });
    const b = new AdmissionController({ capacity: 4, limiter: lb, sharedRetryMs: 20 });
    const plan = { maxConcurrency: 1, priority: 1 };
    const ta = await a.admit({ userId: 'user-adm', plan });
    let admittedB = false;
    const pb = b.admit({ userId: 'user-adm', plan }).then((t) => {
      admittedB = true;
      return t;
    });
    await sleep(100);
    assert.equal(admittedB, false);
    // (Not `queued`: between retries the waiter is briefly out of the queue, asking Redis.)
    assert.equal(b.stats().admitted, 0);
    ta.release();
    const tb = await pb;
    assert.equal(await lb.count('user-adm'), 1);
    tb.release();
    // The release reaches Redis asynchronously.
    for (let i = 0; i < 100 && (await la.count('user-adm')) > 0; i++) await sleep(10);
    assert.equal(await la.count('user-adm'), 0);
    a.close();
    b.close();
  });
});

describe('RedisCounterStore', () => {
  test('counters and claims are shared between connections', async () => {
    const a = new RedisCounterStore({ redis: r1, keyPrefix: prefix });
    const b = new RedisCounterStore({ redis: r2, keyPrefix: prefix });
    assert.equal(await a.get('c1'), null);
    assert.equal(await a.incrementExisting('c1', 3), null);
    assert.equal(await a.seed('c1', 10, 10_000), 10);
    assert.equal(await b.seed('c1', 99, 10_000), 10);
    assert.equal(await b.incrementExisting('c1', 5), 15);
    assert.equal(await a.get('c1'), 15);
    assert.equal(await a.increment('c2', 2, 10_000), 2);
    assert.equal(await b.increment('c2', 2, 10_000), 4);
    assert.ok((await r1.pttl(`${prefix}cnt:c2`)) > 0);
    assert.equal(await a.claim('nonce', 10_000), true);
    assert.equal(await b.claim('nonce', 10_000), false);
    await b.delete('c1');
    assert.equal(await a.get('c1'), null);
  });

  test('quota counters hold across two QuotaService instances', async () => {
    const plans = new PlanCatalog(
      {
        p: {
          reasoningMessagesPerDay: 1,
          tokensPerDay: 100,
          maxConcurrency: 1,
          priority: 1,
          maxThinkingBudget: 10,
        },
      },
      'p',
    );
    const plan = plans.resolve('p');
    let ledgerTokens = 0;
    let ledgerReasoning = 0;
    const usage = { totals: async () => ({ tokens: ledgerTokens, reasoningMessages: ledgerReasoning }) };
    const qa = new QuotaService({ usage, counters: new RedisCounterStore({ redis: r1, keyPrefix: prefix }) });
    const qb = new QuotaService({ usage, counters: new RedisCounterStore({ redis: r2, keyPrefix: prefix }) });
    await qa.check('qu', plan, { reasoning: true });
    ledgerTokens += 40;
    ledgerReasoning += 1;
    await qa.record('qu', { tokens: 40, reasoning: true });
    const meter = await qb.usage('qu', plan);
    assert.deepEqual([meter.tokens.used, meter.reasoningMessages.used], [40, 1]);
    await assert.rejects(qb.check('qu', plan, { reasoning: true }), { code: 'quota_exceeded' });
    await qb.check('qu', plan, { reasoning: false });
  });
});

describe('RedisRateLimiter', () => {
  test('one sliding window shared between connections', async () => {
    const a = new RedisRateLimiter({ redis: r1, keyPrefix: prefix });
    const b = new RedisRateLimiter({ redis: r2, keyPrefix: prefix });
    const opts = { limit: 3, windowMs: 60_000 };
    assert.equal((await a.hit('ip:1', opts)).allowed, true);
    assert.equal((await a.hit('ip:1', opts)).allowed, true);
    assert.equal((await b.hit('ip:1', opts)).allowed, true);
    const refused = await b.hit('ip:1', opts);
    assert.equal(refused.allowed, false);
    assert.ok(refused.retryAfterMs > 0);
    assert.ok(Math.abs((await a.peek('ip:1', 60_000)) - 3) < 0.01);
    assert.equal((await a.hit('ip:2', opts)).allowed, true);
    assert.equal(
      (await a.hit('ip:3', { limit: Number.POSITIVE_INFINITY, windowMs: 1000, cost: 5 })).allowed,
      true,
    );
  });
});

describe('PowGate on Redis', () => {
  test('sign-ups counted and replays refused across processes', async () => {
    const make = (redis: Redis) =>
      new PowGate({
        secret: 'shared-secret-0123456789',
        rateLimiter: new RedisRateLimiter({ redis, keyPrefix: prefix }),
        replayStore: new RedisCounterStore({ redis, keyPrefix: prefix }),
        onRate: 3, // 4 sign-ups below: robust even if a window boundary falls between them
        difficultyBits: 6,
      });
    const a = make(r1);
    const b = make(r2);
    for (let i = 0; i < 2; i++) await a.recordSignup();
    for (let i = 0; i < 2; i++) await b.recordSignup();
    assert.equal(await a.isRequired(), true);
    assert.equal(await b.isRequired(), true);
    const c = (await a.challenge())!;
    const nonce = solvePow(c.challenge, c.difficulty);
    assert.deepEqual(await b.verify(c.challenge, nonce), { ok: true });
    assert.deepEqual(await a.verify(c.challenge, nonce), { ok: false, reason: 'replayed' });
  });
});
