/**
 * The default `eval` plan never starves users: on the engine's default 4 slots, an eval holds at most
 * its plan's 2 and queues the rest, so a user arriving mid-run is admitted at once; and with priority 1
 * it gets no more than a free user's weight in the fair queue.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configSchema } from '../../config/schema.ts';
import { ManualClock } from '../admission/clock.ts';
import { AdmissionController, type Ticket } from '../admission/controller.ts';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

test('an eval at full tilt leaves slots to users, who are admitted at once', async () => {
  const config = configSchema.parse({});
  const evalPlan = config.plans.eval;
  const free = config.plans.free;
  assert.ok(evalPlan && free);
  assert.ok(evalPlan.maxConcurrency < config.engine.slots, 'the eval plan never fills every slot');
  assert.equal(evalPlan.priority, Math.min(...Object.values(config.plans).map((p) => p.priority)));

  const c = new AdmissionController({
    capacity: config.engine.slots,
    maxQueuedPerUser: 64,
    clock: new ManualClock(),
  });
  const evalTickets: Ticket[] = [];
  // The runner's workers ask for more than the plan allows (a larger --concurrency would be capped too).
  for (let i = 0; i < 8; i++)
    void c.admit({ userId: 'eval-admin', plan: evalPlan }).then((t) => evalTickets.push(t));
  await tick();
  assert.equal(evalTickets.length, evalPlan.maxConcurrency);
  const users = await Promise.all(['u1', 'u2'].map((userId) => c.admit({ userId, plan: free })));
  assert.deepEqual(
    users.map((t) => t.waitedMs),
    [0, 0],
  );
  for (const t of [...users, ...evalTickets]) t.release();
});
