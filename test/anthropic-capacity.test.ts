/**
 * The Messages API under admission control, on one real server (embedded engine on the tiny model,
 * capacity wired as `ponder serve` does): a queued message streams `message_start` then `ping` events
 * until it runs; a user over their queue gets 429 `rate_limit_error`, a full queue 529 `overloaded_error`,
 * both with `retry-after`, as Anthropic answers; the usage ledger records the turn like any other.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Ticket } from '../src/core/admission/index.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';
import { readSse, type SseEvent } from './conversations-helpers.ts';

const PLAN = {
  reasoningMessagesPerDay: 100,
  tokensPerDay: 1_000_000,
  maxConcurrency: 1,
  priority: 1,
  maxThinkingBudget: 64,
};

let server: TestServer;

before(async () => {
  server = await startTestServer({
    withModel: true,
    config: {
      plans: { free: PLAN },
      defaultPlan: 'free',
      admission: { maxQueued: 1, maxQueuedPerUser: 1, maxWaitMs: 60_000, fairShareWindowMs: 30_000 },
    },
    capacity: { slots: 1 },
  });
});
after(async () => {
  await server?.close();
});

async function newKey(): Promise<string> {
  const { cookie } = await server.signup();
  const res = await server.request('/api/keys', { method: 'POST', cookie, json: { name: 'cap' } });
  assert.equal(res.status, 201);
  return ((await res.json()) as { key: string }).key;
}

function messages(key: string, stream: boolean, signal?: AbortSignal): Promise<Response> {
  return fetch(`${server.baseUrl}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'tiny',
      max_tokens: 8,
      stream,
      messages: [{ role: 'user', content: 'hi' }],
    }),
    ...(signal ? { signal } : {}),
  });
}

const admission = () => {
  const c = server.capacity?.capacity;
  assert.ok(c);
  return c.admission;
};

describe('Messages API under admission control', () => {
  test('queued: message_start, then ping events until a slot frees, then the message', async () => {
    const holder: Ticket = await admission().admit({
      userId: 'holder',
      plan: { maxConcurrency: 1, priority: 1 },
    });
    const key = await newKey();
    const res = await messages(key, true);
    assert.equal(res.status, 200);
    const events: SseEvent[] = [];
    let released = false;
    for await (const event of readSse(res)) {
      events.push(event);
      if (event.event === 'ping' && !released) {
        released = true;
        holder.release();
      }
    }
    const names = events.map((e) => e.event);
    assert.equal(names[0], 'message_start');
    assert.equal(names[1], 'ping', names.join());
    assert.deepEqual(names.slice(-2), ['message_delta', 'message_stop']);
    assert.ok(names.indexOf('ping') < names.indexOf('message_delta'));
  });

  test("over the user's queue: 429 rate_limit_error; queue full: 529 overloaded_error; both retry-after", async () => {
    const holder = await admission().admit({ userId: 'holder', plan: { maxConcurrency: 1, priority: 1 } });
    const key = await newKey();
    const waiting = new AbortController();
    try {
      // The first request queues (one place in the queue); its stream stays open.
      const first = await messages(key, true, waiting.signal);
      assert.equal(first.status, 200);
      const second = await messages(key, false);
      assert.equal(second.status, 429);
      assert.ok(second.headers.get('retry-after'));
      const body = (await second.json()) as { type: string; error: { type: string } };
      assert.deepEqual([body.type, body.error.type], ['error', 'rate_limit_error']);

      const other = await messages(await newKey(), false);
      assert.equal(other.status, 529);
      assert.ok(other.headers.get('retry-after'));
      assert.equal(((await other.json()) as { error: { type: string } }).error.type, 'overloaded_error');
    } finally {
      waiting.abort();
      holder.release();
    }
  });

  test('the usage ledger records a message like any completion', async () => {
    const { cookie, user } = await server.signup();
    const created = await server.request('/api/keys', { method: 'POST', cookie, json: { name: 'usage' } });
    const { key } = (await created.json()) as { key: string };
    const since = new Date(Date.now() - 60_000);
    const res = await messages(key, false);
    assert.equal(res.status, 200);
    const msg = (await res.json()) as {
      usage: { input_tokens: number; cache_read_input_tokens: number; output_tokens: number };
    };
    const totals = await server.store.usage.totals(user.id, since);
    const { input_tokens, cache_read_input_tokens, output_tokens } = msg.usage;
    assert.equal(totals.tokens, input_tokens + cache_read_input_tokens + output_tokens);
    assert.ok(output_tokens > 0);
  });
});
