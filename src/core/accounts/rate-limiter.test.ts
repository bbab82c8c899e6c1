import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryRateLimiter } from './rate-limiter.ts';

test('sliding window: limits, retry-after from the oldest event, expiry, reset, bounded keys', async () => {
  let now = 1_000_000;
  const limiter = new MemoryRateLimiter({ now: () => now, maxKeys: 3 });
  const rule = { limit: 3, windowMs: 60_000 };
  for (let i = 0; i < 3; i++) {
    assert.equal((await limiter.peek('a', rule)).limited, false);
    await limiter.hit('a', rule);
    now += 10_000;
  }
  const state = await limiter.peek('a', rule);
  assert.equal(state.limited, true);
  assert.equal(state.count, 3);
  assert.equal(state.retryAfterSeconds, 30);
  // Hits beyond the limit are not stored.
  await limiter.hit('a', rule);
  assert.equal((await limiter.peek('a', rule)).count, 3);
  now += 30_001;
  assert.equal((await limiter.peek('a', rule)).limited, false);
  await limiter.reset('a');
  assert.equal((await limiter.peek('a', rule)).count, 0);

  await limiter.hit('k1', rule);
  await limiter.hit('k2', rule);
  await limiter.hit('k3', rule);
  await limiter.hit('k4', rule);
  assert.equal((await limiter.peek('k1', rule)).count, 0, 'least recently used key dropped');
  assert.equal((await limiter.peek('k4', rule)).count, 1);
});
