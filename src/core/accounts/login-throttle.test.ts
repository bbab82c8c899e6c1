import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryLoginThrottle } from './login-throttle.ts';
import { loginThrottleContract } from './login-throttle-contract.ts';

loginThrottleContract('memory', async () => {
  const throttle = new MemoryLoginThrottle();
  return { a: throttle, b: throttle, close: async () => {} };
});

test('memory: attempts leave the window; retry-after counts from the oldest; keys are bounded', async () => {
  let now = 1_000_000;
  const throttle = new MemoryLoginThrottle({ now: () => now, maxKeys: 2 });
  const rule = { limit: 2, windowMs: 60_000 };
  await throttle.reserve([{ key: 'a', rule }]);
  now += 20_000;
  await throttle.reserve([{ key: 'a', rule }]);
  const refused = await throttle.reserve([{ key: 'a', rule }]);
  assert.equal(refused.retryAfterSeconds, 40);
  now += 40_000;
  assert.deepEqual((await throttle.reserve([{ key: 'a', rule }])).counts, [1]);
  await throttle.reserve([{ key: 'b', rule }]);
  await throttle.reserve([{ key: 'c', rule }]);
  assert.deepEqual((await throttle.reserve([{ key: 'a', rule }])).counts, [0], 'least recently used dropped');
});
