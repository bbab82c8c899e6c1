import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configSchema } from '../../config/schema.ts';
import { solvePow } from '../rate-limit/pow.ts';
import { createCapacity, defaultCapacity } from './capacity.ts';
import { ManualClock } from './clock.ts';

const usage = { totals: async () => ({ tokens: 0, reasoningMessages: 0 }) };
const powSecret = 'capacity-test-secret-0123';

test('defaultCapacity: engine slots plus upstream concurrency', () => {
  const config = configSchema.parse({
    upstreams: [
      { id: 'a', baseUrl: 'http://127.0.0.1:1', maxConcurrent: 8 },
      { id: 'b', baseUrl: 'http://127.0.0.1:2' },
    ],
  });
  assert.equal(defaultCapacity(config), 4 + 8 + 16);
});

test('createCapacity in-process: everything wired from the default config', async () => {
  const clock = new ManualClock();
  await using cap = createCapacity({
    config: configSchema.parse({}),
    usage,
    powSecret,
    clock,
    pow: { difficultyBits: 4 },
  });
  assert.equal(cap.admission.capacity, 4);
  const plan = cap.plans.resolve(undefined);
  assert.equal(plan.name, 'free');
  await cap.quotas.check('u', plan, { reasoning: true });
  const t = await cap.admission.admit({ userId: 'u', plan });
  t.release();
  const c = cap.pow.issue();
  assert.deepEqual(await cap.pow.verify(c.challenge, solvePow(c.challenge, c.difficulty)), { ok: true });
  assert.equal((await cap.rateLimiter.hit('login:127.0.0.1', { limit: 1, windowMs: 1000 })).allowed, true);
});
