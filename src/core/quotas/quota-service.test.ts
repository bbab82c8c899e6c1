import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_PLANS } from '../../config/schema.ts';
import { ManualClock } from '../admission/clock.ts';
import { AdmissionError } from '../admission/errors.ts';
import { MemoryCounterStore } from '../rate-limit/memory.ts';
import { PlanCatalog } from './plans.ts';
import { QuotaService, type UsageSource } from './quota-service.ts';

/** A ledger in memory, answering like `UsageStore.totals`. */
class Ledger implements UsageSource {
  rows: { userId: string; at: number; tokens: number; reasoning: boolean }[] = [];
  reads = 0;
  add(userId: string, at: number, tokens: number, reasoning: boolean): void {
    this.rows.push({ userId, at, tokens, reasoning });
  }
  async totals(userId: string, since: Date) {
    this.reads++;
    let tokens = 0;
    let reasoningMessages = 0;
    for (const r of this.rows) {
      if (r.userId !== userId || r.at < since.getTime()) continue;
      tokens += r.tokens;
      if (r.reasoning) reasoningMessages++;
    }
    return { tokens, reasoningMessages };
  }
}

const catalog = new PlanCatalog(
  {
    ...DEFAULT_PLANS,
    tiny: {
      reasoningMessagesPerDay: 2,
      tokensPerDay: 1000,
      maxConcurrency: 1,
      priority: 1,
      maxThinkingBudget: 512,
    },
  },
  'free',
);
const tiny = catalog.resolve('tiny');

async function quotaError(p: Promise<unknown>): Promise<AdmissionError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof AdmissionError);
    return err;
  }
  assert.fail('expected quota_exceeded');
}

describe('PlanCatalog', () => {
  test('resolves names, falls back to the default, rejects a missing default', () => {
    assert.equal(catalog.resolve('pro').name, 'pro');
    assert.equal(catalog.resolve('pro').priority, 4);
    assert.equal(catalog.resolve('gone').name, 'free');
    assert.equal(catalog.resolve(null).name, 'free');
    assert.ok(catalog.list().some((p) => p.name === 'tiny'));
    assert.throws(() => new PlanCatalog(DEFAULT_PLANS, 'nope'), /defaultPlan "nope"/);
  });
});

for (const cached of [false, true]) {
  describe(`QuotaService (${cached ? 'with counter cache' : 'ledger only'})`, () => {
    const setup = () => {
      const clock = new ManualClock(Date.parse('2026-03-10T23:00:00Z'));
      const ledger = new Ledger();
      const quotas = new QuotaService({
        usage: ledger,
        clock,
        ...(cached ? { counters: new MemoryCounterStore({ clock }) } : {}),
      });
      // Record like the chat turn: ledger row first, then the counters.
      const use = async (tokens: number, reasoning: boolean) => {
        ledger.add('u', clock.now(), tokens, reasoning);
        await quotas.record('u', { tokens, reasoning });
      };
      return { clock, ledger, quotas, use };
    };

    test('reasoning messages: allowed below the limit, refused at it, plain messages still allowed', async () => {
      const { quotas, use } = setup();
      await quotas.check('u', tiny, { reasoning: true });
      await use(10, true);
      await quotas.check('u', tiny, { reasoning: true });
      await use(10, true);
      const err = await quotaError(quotas.check('u', tiny, { reasoning: true }));
      assert.equal(err.code, 'quota_exceeded');
      assert.equal(err.status, 429);
      assert.equal(err.details.limit, 'reasoning_messages');
      assert.equal(err.details.used, 2);
      assert.equal(err.details.max, 2);
      assert.equal(err.retryAfterSeconds, 3600);
      assert.equal(err.details.resetsAt, '2026-03-11T00:00:00.000Z');
      await quotas.check('u', tiny, { reasoning: false });
    });

    test('tokens: refused for every message once used up', async () => {
      const { quotas, use } = setup();
      await use(999, false);
      await quotas.check('u', tiny, { reasoning: false });
      await use(1, false);
      const err = await quotaError(quotas.check('u', tiny, { reasoning: false }));
      assert.equal(err.details.limit, 'tokens');
      assert.equal((await quotaError(quotas.check('u', tiny, { reasoning: true }))).details.limit, 'tokens');
    });

    test('usage meter and the reset at midnight UTC', async () => {
      const { clock, quotas, use } = setup();
      await use(300, true);
      await use(200, false);
      assert.deepEqual(await quotas.usage('u', tiny), {
        plan: 'tiny',
        reasoningMessages: { used: 1, limit: 2 },
        tokens: { used: 500, limit: 1000 },
        resetsAt: '2026-03-11T00:00:00.000Z',
      });
      await use(500, true);
      await quotaError(quotas.check('u', tiny, { reasoning: false }));
      clock.advance(3600_000);
      await quotas.check('u', tiny, { reasoning: true });
      const meter = await quotas.usage('u', tiny);
      assert.equal(meter.tokens.used, 0);
      assert.equal(meter.reasoningMessages.used, 0);
      assert.equal(meter.resetsAt, '2026-03-12T00:00:00.000Z');
    });

    test('users are counted separately', async () => {
      const { quotas, use } = setup();
      await use(1000, true);
      await quotaError(quotas.check('u', tiny, { reasoning: false }));
      await quotas.check('v', tiny, { reasoning: true });
    });
  });
}

test('the counter cache is seeded from the ledger once, then kept by record, and re-read after resyncMs', async () => {
  const clock = new ManualClock(Date.parse('2026-03-10T08:00:00Z'));
  const ledger = new Ledger();
  ledger.add('u', clock.now() - 1000, 100, true);
  ledger.add('u', clock.now() - 86_400_000, 5000, true); // yesterday: not counted
  const quotas = new QuotaService({
    usage: ledger,
    clock,
    counters: new MemoryCounterStore({ clock }),
    resyncMs: 60_000,
  });
  assert.equal((await quotas.usage('u', tiny)).tokens.used, 100);
  assert.equal(ledger.reads, 1);
  ledger.add('u', clock.now(), 50, false);
  await quotas.record('u', { tokens: 50, reasoning: false });
  assert.equal((await quotas.usage('u', tiny)).tokens.used, 150);
  assert.equal(ledger.reads, 1);
  // A row that reached the ledger without `record` (another writer) shows up after the resync.
  ledger.add('u', clock.now(), 7, false);
  clock.advance(60_000);
  assert.equal((await quotas.usage('u', tiny)).tokens.used, 157);
  assert.equal(ledger.reads, 2);
});

test('clampThinkingBudget', () => {
  const quotas = new QuotaService({ usage: new Ledger() });
  assert.equal(quotas.clampThinkingBudget(tiny, 100), 100);
  assert.equal(quotas.clampThinkingBudget(tiny, 10_000), 512);
  assert.equal(quotas.clampThinkingBudget(tiny, undefined), 512);
  assert.equal(quotas.clampThinkingBudget(tiny, 0), 1);
  assert.equal(quotas.clampThinkingBudget(tiny, -5), 1);
  assert.equal(quotas.clampThinkingBudget(tiny, Number.NaN), 512);
  assert.equal(quotas.clampThinkingBudget(catalog.resolve('pro'), 20_000), 20_000);
});
