/**
 * Behaviour every `CounterStore` must show, run by memory.test.ts here and by the Redis tests in
 * src/adapters/redis/. Expiry is each implementation's own test (a manual clock in memory, PTTL on Redis).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PlanCatalog } from '../quotas/plans.ts';
import { QuotaService } from '../quotas/quota-service.ts';
import { type InstancePair, withPair } from './contract-pair.ts';
import type { CounterStore } from './types.ts';

const TTL = 60_000;

export function counterStoreContract(name: string, make: () => Promise<InstancePair<CounterStore>>): void {
  test(`${name}: seeds, increments, claims and deletes are seen by every instance`, () =>
    withPair(make, async (a, b) => {
      assert.equal(await a.get('c1'), null);
      assert.equal(await a.incrementExisting('c1', 3), null, 'an unseeded counter is not half-counted');
      assert.equal(await a.get('c1'), null);
      assert.equal(await a.seed('c1', 10, TTL), 10);
      assert.equal(await b.seed('c1', 99, TTL), 10, 'a second seed answers the stored value');
      assert.equal(await b.incrementExisting('c1', 5), 15);
      assert.equal(await a.get('c1'), 15);
      assert.equal(await a.increment('c2', 2, TTL), 2);
      assert.equal(await b.increment('c2', 2, TTL), 4);
      assert.equal(await a.claim('nonce', TTL), true);
      assert.equal(await b.claim('nonce', TTL), false);
      await b.delete('c1');
      assert.equal(await a.get('c1'), null);
      await a.delete('nonce');
      assert.equal(await b.claim('nonce', TTL), true);
      await a.delete('never-set');
    }));

  test(`${name}: concurrent increments all count; of concurrent claims exactly one wins`, () =>
    withPair(make, async (a, b) => {
      await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).increment('n', 1, TTL)));
      assert.equal(await a.get('n'), 20);
      await a.seed('s', 0, TTL);
      await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).incrementExisting('s', 2)));
      assert.equal(await b.get('s'), 40);
      const claims = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).claim('one', TTL)),
      );
      assert.equal(claims.filter(Boolean).length, 1);
    }));

  test(`${name}: quota counters hold across two QuotaService instances`, () =>
    withPair(make, async (ca, cb) => {
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
      const ledger = { tokens: 0, reasoningMessages: 0 };
      const usage = { totals: async () => ({ ...ledger }) };
      const qa = new QuotaService({ usage, counters: ca });
      const qb = new QuotaService({ usage, counters: cb });
      await qa.check('qu', plan, { reasoning: true });
      ledger.tokens += 40;
      ledger.reasoningMessages += 1;
      await qa.record('qu', { tokens: 40, reasoning: true });
      const meter = await qb.usage('qu', plan);
      assert.deepEqual([meter.tokens.used, meter.reasoningMessages.used], [40, 1]);
      await assert.rejects(qb.check('qu', plan, { reasoning: true }), { code: 'quota_exceeded' });
      await qb.check('qu', plan, { reasoning: false });
    }));
}
