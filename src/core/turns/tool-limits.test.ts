import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PlanCatalog } from '../quotas/plans.ts';
import { MemoryCounterStore } from '../rate-limit/memory.ts';
import { ToolLimits, toolUseKind } from './tool-limits.ts';

const base = {
  reasoningMessagesPerDay: 9,
  tokensPerDay: 9,
  maxConcurrency: 1,
  priority: 1,
  maxThinkingBudget: 9,
};

test('each plan has its daily allowance of tool calls and searches; refusals do not count; days reset', async () => {
  let now = Date.UTC(2026, 11, 6, 23, 59, 0);
  const clock = { now: () => now, setTimeout: () => 0, clearTimeout: () => {} };
  const plans = new PlanCatalog(
    { small: { ...base, toolCallsPerDay: 2, searchesPerDay: 1 }, other: { ...base } },
    'small',
  );
  const limits = new ToolLimits({ plans, counters: new MemoryCounterStore({ clock }), clock });
  assert.equal(await limits.take('u1', 'small', 'tool'), null);
  assert.equal(await limits.take('u1', 'small', 'tool'), null);
  assert.match(
    (await limits.take('u1', 'small', 'tool')) ?? '',
    /daily limit of 2 tool calls on the small plan is reached; it resets at midnight UTC/,
  );
  assert.match(
    (await limits.take('u1', 'small', 'tool')) ?? '',
    /limit of 2/,
    'still refused, not counted past it',
  );
  assert.equal(await limits.take('u1', 'small', 'search'), null, 'searches have their own count');
  assert.match((await limits.take('u1', 'small', 'search')) ?? '', /1 web searches/);
  assert.equal(await limits.take('u2', 'small', 'tool'), null, 'per user');
  // A plan without the fields gets the defaults (200 / 50).
  for (let i = 0; i < 50; i++) assert.equal(await limits.take('u3', 'other', 'search'), null);
  assert.match((await limits.take('u3', 'other', 'search')) ?? '', /limit of 50/);
  now += 2 * 60_000; // past midnight UTC
  assert.equal(await limits.take('u1', 'small', 'tool'), null, 'a new day');
  assert.equal(toolUseKind('web_search'), 'search');
  assert.equal(toolUseKind('fetch_url'), 'tool');
});
