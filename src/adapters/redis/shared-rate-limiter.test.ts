/** The login/sign-up `SharedRateLimiter` (core/accounts) on the Redis primitives, over two instances. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SharedRateLimiter } from '../../core/accounts/shared-rate-limiter.ts';
import { RedisCounterStore, RedisRateLimiter } from './rate-limit.ts';
import { skipWithoutRedis, testRedis } from './test-redis.ts';

test('shared login throttle on Redis: two instances see one count; reset clears it', {
  skip: skipWithoutRedis,
}, async () => {
  await using r = await testRedis();
  const make = (redis: typeof r.r1) =>
    new SharedRateLimiter(
      new RedisRateLimiter({ redis, keyPrefix: r.keyPrefix }),
      new RedisCounterStore({ redis, keyPrefix: r.keyPrefix }),
    );
  const a = make(r.r1);
  const b = make(r.r2);
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
});
