/** Against the real Redis at PONDER_TEST_REDIS_URL, under a random key prefix removed afterwards. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { RedisCounterStore, RedisRateLimiter } from '../rate-limit/redis.ts';
import { SharedRateLimiter } from './shared-rate-limiter.ts';

test('shared login throttle on Redis: two instances see one count; reset clears it', async () => {
  const url = process.env.PONDER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `ponder-test:${randomUUID()}:`;
  const connect = () =>
    new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy: () => null });
  const r1 = connect();
  const r2 = connect();
  try {
    const make = (redis: Redis) =>
      new SharedRateLimiter(
        new RedisRateLimiter({ redis, keyPrefix: prefix }),
        new RedisCounterStore({ redis, keyPrefix: prefix }),
      );
    const a = make(r1);
    const b = make(r2);
    const rule = { limit: 4, windowMs: 60_000 };
    await a.hit('login:acct:x', rule);
    await b.hit('login:acct:x', rule);
    await a.hit('login:acct:x', rule);
    assert.equal((await b.peek('login:acct:x', rule)).limited, false);
    await b.hit('login:acct:x', rule);
    const state = await a.peek('login:acct:x', rule);
    assert.equal(state.limited, true);
    assert.equal(state.count, 4);
    assert.ok(state.retryAfterSeconds >= 1 && state.retryAfterSeconds <= 60);
    assert.equal((await a.peek('login:acct:other', rule)).count, 0);
    await b.reset('login:acct:x');
    assert.equal((await a.peek('login:acct:x', rule)).limited, false);
  } finally {
    const keys = await r1.keys(`${prefix}*`);
    if (keys.length > 0) await r1.del(...keys);
    await Promise.all([r1.quit(), r2.quit()]);
  }
});
