/**
 * Capacity wired into one real server (embedded engine on the tiny model, SQLite): queue positions on
 * the web stream when slots are full, 429 `concurrency_limit` / `quota_exceeded` with Retry-After on the
 * web API and `/v1`, the usage meter, plan assignment, `/metrics` and the admin status, and the sign-up
 * proof-of-work gate under a burst; upstream pool health in `/metrics`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import type { Ticket } from '../src/core/admission/index.ts';
import { solvePow } from '../src/core/rate-limit/index.ts';
import { ensureTestModel } from '../src/inference/gguf/test-model.ts';
import { createEmbeddedProvider, type EmbeddedProvider } from '../src/inference/llama/index.ts';
import { createUpstreamPool } from '../src/inference/upstream/pool.ts';
import { refusedBaseUrl, startScriptedUpstream } from '../src/inference/upstream/scripted-upstream.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';
import { readSse, type SseEvent } from './conversations-helpers.ts';
import { countingOpenAiClient } from './openai-counting.ts';

const PLAN = {
  reasoningMessagesPerDay: 100,
  tokensPerDay: 1_000_000,
  maxConcurrency: 1,
  priority: 1,
  maxThinkingBudget: 64,
};
const THINK = { enabled: true, budgetTokens: 8 };
const METRICS_TOKEN = 'metrics-token-for-tests-0123456789';

let engine: EmbeddedProvider;
let server: TestServer;
let admin: { cookie: string; user: { id: string } };

before(async () => {
  const path = await ensureTestModel('tiny');
  engine = createEmbeddedProvider({
    models: { tiny: path },
    defaultModel: 'tiny',
    slots: 2,
    contextSize: 1024,
    batchSize: 64,
    threads: 1,
    ignoreEos: true,
  });
  server = await startTestServer({
    config: {
      plans: { free: PLAN, tiny: { ...PLAN, reasoningMessagesPerDay: 1 } },
      defaultPlan: 'free',
      admission: { maxQueued: 16, maxQueuedPerUser: 1, maxWaitMs: 60_000, fairShareWindowMs: 30_000 },
      signupPow: { onRate: 10_000, difficultyBits: 8 },
      metricsToken: METRICS_TOKEN,
    },
    capacity: { slots: 2 },
    deps: {
      providers: [engine],
      engine,
      defaultModel: 'tiny',
      modelStatus: () => ({ state: 'ready', model: 'tiny' }),
      chat: { maxTokens: 40, persistIntervalMs: 100 },
    },
  });
  admin = await server.signup();
});

after(async () => {
  await server?.close();
  await engine?.[Symbol.asyncDispose]();
});

const plan = { maxConcurrency: 1, priority: 1 };
const admission = () => {
  const c = server.capacity?.capacity;
  assert.ok(c);
  return c.admission;
};

async function newConversation(cookie: string): Promise<string> {
  const res = await server.request('/api/conversations', { method: 'POST', cookie, json: {} });
  assert.equal(res.status, 201);
  return ((await res.json()) as { id: string }).id;
}

function send(cookie: string, conversationId: string, signal?: AbortSignal): Promise<Response> {
  return server.request(`/api/conversations/${conversationId}/messages`, {
    method: 'POST',
    cookie,
    json: { content: 'hello', thinking: THINK },
    ...(signal ? { signal } : {}),
  });
}

async function apiKey(cookie: string): Promise<string> {
  const res = await server.request('/api/keys', { method: 'POST', cookie, json: { name: 'cap' } });
  assert.equal(res.status, 201);
  return ((await res.json()) as { key: string }).key;
}

function v1(key: string): Promise<Response> {
  return fetch(`${server.baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8 }),
  });
}

async function metricsText(): Promise<string> {
  const res = await fetch(`${server.baseUrl}/metrics`);
  assert.equal(res.status, 200);
  return res.text();
}

function metricValue(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : Number.NaN;
}

describe('capacity on one server', () => {
  test('a full server queues the turn: queued events with positions, then it runs', async () => {
    const holders: Ticket[] = [
      await admission().admit({ userId: 'holder-1', plan }),
      await admission().admit({ userId: 'holder-2', plan }),
    ];
    const { cookie } = await server.signup();
    const conversation = await newConversation(cookie);
    const res = await send(cookie, conversation);
    assert.equal(res.status, 200);
    const events: SseEvent[] = [];
    let released = false;
    for await (const event of readSse(res)) {
      events.push(event);
      if (event.event === 'queued' && !released) {
        assert.deepEqual(Object.keys(event.data as object).includes('position'), true);
        assert.equal((event.data as { position: number }).position, 1);
        // The admin status and /metrics read the same queue.
        const status = await server.request('/api/admin/status', { cookie: admin.cookie });
        const body = (await status.json()) as { queueDepth: number; slotsBusy: number; slotsTotal: number };
        assert.deepEqual([body.queueDepth, body.slotsBusy, body.slotsTotal], [1, 2, 2]);
        assert.equal(metricValue(await metricsText(), 'ponder_queue_depth'), 1);
        released = true;
        for (const t of holders) t.release();
      }
    }
    const types = events.map((e) => e.event);
    assert.equal(types[0], 'meta');
    assert.ok(types.indexOf('queued') < types.indexOf('text'), types.join(','));
    assert.equal(types.at(-1), 'done');
    assert.deepEqual(events.at(-1)?.data, { finishReason: 'length' });
  });

  test('a full server keeps a /v1 stream alive with comments while queued, then answers', async () => {
    const holders = [
      await admission().admit({ userId: 'holder-3', plan }),
      await admission().admit({ userId: 'holder-4', plan }),
    ];
    const { cookie } = await server.signup();
    const res = await fetch(`${server.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await apiKey(cookie)}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'tiny',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 8,
        stream: true,
      }),
    });
    assert.equal(res.status, 200);
    assert.ok(res.body);
    const decoder = new TextDecoder();
    let text = '';
    let released = false;
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (!released && text.includes(': keep-alive')) {
        assert.ok(!text.includes('"choices"'), 'no tokens while queued');
        released = true;
        for (const t of holders) t.release();
      }
    }
    assert.ok(released, text);
    assert.match(text, /"choices"/);
    assert.ok(text.trimEnd().endsWith('data: [DONE]'));
  });

  test('over the plan concurrency: 429 concurrency_limit with Retry-After on the web and /v1', async () => {
    const { cookie, user } = await server.signup();
    const key = await apiKey(cookie);
    const running = await admission().admit({ userId: user.id, plan });
    const waiting = new AbortController();
    const queued = admission().admit({ userId: user.id, plan, signal: waiting.signal });
    try {
      const web = await send(cookie, await newConversation(cookie));
      assert.equal(web.status, 429);
      assert.ok(Number(web.headers.get('retry-after')) >= 1);
      const body = (await web.json()) as { error: { code: string; retryAfterSeconds?: number } };
      assert.equal(body.error.code, 'concurrency_limit');

      const api = await v1(key);
      assert.equal(api.status, 429);
      assert.ok(Number(api.headers.get('retry-after')) >= 1);
      const apiBody = (await api.json()) as { error: { code: string; type: string } };
      assert.equal(apiBody.error.code, 'concurrency_limit');
      // A short limit: clients may retry after Retry-After.
      assert.equal(api.headers.get('x-should-retry'), null);
    } finally {
      waiting.abort();
      await queued.catch(() => {});
      running.release();
    }
  });

  test('a full queue sheds with 503 overloaded and Retry-After on the web and /v1', async () => {
    const holders = [
      await admission().admit({ userId: 'holder-5', plan }),
      await admission().admit({ userId: 'holder-6', plan }),
    ];
    const abort = new AbortController();
    const waiters = Array.from({ length: 16 }, (_, i) =>
      admission()
        .admit({ userId: `waiter-${i}`, plan, signal: abort.signal })
        .catch(() => undefined),
    );
    try {
      assert.equal(admission().stats().queued, 16);
      const { cookie } = await server.signup();
      const web = await send(cookie, await newConversation(cookie));
      assert.equal(web.status, 503);
      assert.ok(Number(web.headers.get('retry-after')) >= 1);
      const body = (await web.json()) as { error: { code: string; details?: { reason?: string } } };
      assert.equal(body.error.code, 'overloaded');
      assert.equal(body.error.details?.reason, 'queue_full');
      const api = await v1(await apiKey(cookie));
      assert.equal(api.status, 503);
      assert.ok(Number(api.headers.get('retry-after')) >= 1);
    } finally {
      abort.abort();
      await Promise.all(waiters);
      for (const t of holders) t.release();
    }
    assert.equal(admission().stats().queued, 0);
  });

  test('plans: admins assign them; the daily quota holds on the web and /v1; /api/usage counts', async () => {
    const { cookie, user } = await server.signup();
    const key = await apiKey(cookie);
    const bad = await server.request(`/api/admin/users/${user.id}`, {
      method: 'PATCH',
      cookie: admin.cookie,
      json: { plan: 'platinum' },
    });
    assert.equal(bad.status, 400);
    const ok = await server.request(`/api/admin/users/${user.id}`, {
      method: 'PATCH',
      cookie: admin.cookie,
      json: { plan: 'tiny' },
    });
    assert.equal(ok.status, 200);

    const before = (await (await server.request('/api/usage', { cookie })).json()) as {
      plan: string;
      reasoningMessages: { used: number; limit: number };
      tokens: { used: number; limit: number };
      resetsAt: string;
    };
    assert.equal(before.plan, 'tiny');
    assert.deepEqual(before.reasoningMessages, { used: 0, limit: 1 });
    assert.equal(before.tokens.used, 0);
    assert.ok(Date.parse(before.resetsAt) > Date.now());

    const conversation = await newConversation(cookie);
    const first = await send(cookie, conversation);
    assert.equal(first.status, 200);
    for await (const _ of readSse(first)) {
      // drain to done
    }
    const afterOne = (await (await server.request('/api/usage', { cookie })).json()) as typeof before;
    assert.equal(afterOne.reasoningMessages.used, 1);
    assert.ok(afterOne.tokens.used > 0);

    const second = await send(cookie, conversation);
    assert.equal(second.status, 429);
    assert.ok(Number(second.headers.get('retry-after')) >= 1);
    const body = (await second.json()) as { error: { code: string; details?: { limit?: string } } };
    assert.equal(body.error.code, 'quota_exceeded');
    assert.equal(body.error.details?.limit, 'reasoning_messages');

    const api = await v1(key);
    assert.equal(api.status, 429);
    assert.ok(api.headers.get('retry-after'));
    assert.equal(((await api.json()) as { error: { code: string } }).error.code, 'insufficient_quota');
    assert.equal(api.headers.get('x-should-retry'), 'false');

    // The official client with its default retries raises at once instead of sleeping towards midnight.
    const { client, requests } = countingOpenAiClient(server.baseUrl, key);
    await assert.rejects(
      client.chat.completions.create({
        model: 'tiny',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 8,
      }),
      (err: unknown) => err instanceof OpenAI.RateLimitError && err.code === 'insufficient_quota',
    );
    assert.equal(requests(), 1, 'a quota 429 is not retried');
  });

  test('/metrics: loopback only (admins via /api/admin/metrics), with the capacity series', async () => {
    const text = await metricsText();
    for (const series of [
      'ponder_queue_depth',
      'ponder_queue_wait_seconds_bucket',
      'ponder_admitted_total',
      'ponder_shed_total',
      'ponder_slots_busy',
      'ponder_slots_total',
      'ponder_generated_tokens_total',
      'ponder_time_to_first_token_seconds_bucket',
      'ponder_upstream_healthy',
    ]) {
      assert.ok(text.includes(`# TYPE ${series.replace(/_bucket$/, '')} `), series);
    }
    assert.ok(metricValue(text, 'ponder_shed_total{reason="concurrency_limit"}') >= 1);
    assert.ok(metricValue(text, 'ponder_shed_total{reason="quota_exceeded"}') >= 1);
    assert.ok(metricValue(text, 'ponder_generated_tokens_total{model="tiny"}') > 0);
    assert.ok(metricValue(text, 'ponder_time_to_first_token_seconds_count{model="tiny"}') > 0);
    assert.equal(metricValue(text, 'ponder_slots_total'), 2);

    const proxied = await fetch(`${server.baseUrl}/metrics`, {
      headers: { 'x-forwarded-for': '203.0.113.9' },
    });
    assert.equal(proxied.status, 404);
    const withToken = await fetch(`${server.baseUrl}/metrics`, {
      headers: { 'x-forwarded-for': '203.0.113.9', authorization: `Bearer ${METRICS_TOKEN}` },
    });
    assert.equal(withToken.status, 200);
    const wrongToken = await fetch(`${server.baseUrl}/metrics`, {
      headers: { 'x-forwarded-for': '203.0.113.9', authorization: 'Bearer not-the-metrics-token' },
    });
    assert.equal(wrongToken.status, 404);
    const asAdmin = await server.request('/api/admin/metrics', { cookie: admin.cookie });
    assert.equal(asAdmin.status, 200);
    assert.match(await asAdmin.text(), /ponder_queue_depth/);
    const other = await server.signup();
    assert.equal((await server.request('/api/admin/metrics', { cookie: other.cookie })).status, 404);
    assert.equal((await server.request('/api/usage')).status, 401);
  });
});

describe('sign-up proof of work', () => {
  test('switches on under a burst; a solved challenge is accepted, a replay is not', async () => {
    const s = await startTestServer({
      config: { signupPow: { onRate: 3, difficultyBits: 8 } },
      capacity: true,
      // The burst signs up with raw requests; the first-admin setup code is tested in attack-edge.
      setupCode: null,
    });
    try {
      const before = (await (await s.request('/api/auth/pow')).json()) as { required: boolean };
      assert.equal(before.required, false);
      let challenge: { challenge: string; difficulty: number } | undefined;
      for (let i = 0; i < 10 && !challenge; i++) {
        const res = await s.request('/api/auth/signup', {
          method: 'POST',
          json: { email: `burst${i}@example.com`, password: 'correct horse battery staple' },
        });
        if (res.status === 428) {
          const body = (await res.json()) as {
            error: { code: string; details: { challenge: string; difficulty: number } };
          };
          assert.equal(body.error.code, 'pow_required');
          challenge = body.error.details;
        } else assert.equal(res.status, 201);
      }
      assert.ok(challenge, 'the gate switched on within 10 sign-ups');
      assert.equal(challenge.difficulty, 8);
      const info = (await (await s.request('/api/auth/pow')).json()) as {
        required: boolean;
        difficulty: number;
      };
      assert.equal(info.required, true);

      const nonce = solvePow(challenge.challenge, challenge.difficulty);
      const solved = await s.request('/api/auth/signup', {
        method: 'POST',
        json: {
          email: 'solver@example.com',
          password: 'correct horse battery staple',
          pow: { challenge: challenge.challenge, nonce },
        },
      });
      assert.equal(solved.status, 201);
      const replay = await s.request('/api/auth/signup', {
        method: 'POST',
        json: {
          email: 'replayer@example.com',
          password: 'correct horse battery staple',
          pow: { challenge: challenge.challenge, nonce },
        },
      });
      assert.equal(replay.status, 428);
    } finally {
      await s.close();
    }
  });
});

describe('upstream pool metrics', () => {
  test('/metrics reports each pool member: health, outstanding, circuit', async () => {
    const up = await startScriptedUpstream({ models: ['r1-test'] });
    const down = await refusedBaseUrl();
    const pool = createUpstreamPool(
      [
        { id: 'alive', baseUrl: up.baseUrl, reasoningFormat: 'auto' },
        { id: 'dead', baseUrl: down, reasoningFormat: 'auto' },
      ],
      { healthCheckIntervalMs: 0 },
    );
    const s = await startTestServer({
      deps: { providers: [pool], upstreamPools: [pool], defaultModel: 'r1-test' },
      capacity: true,
    });
    try {
      await pool.checkHealth();
      const res = await fetch(`${s.baseUrl}/metrics`);
      const text = await res.text();
      assert.equal(metricValue(text, 'ponder_upstream_healthy{upstream="alive"}'), 1);
      assert.equal(metricValue(text, 'ponder_upstream_healthy{upstream="dead"}'), 0);
      assert.equal(metricValue(text, 'ponder_upstream_outstanding{upstream="alive"}'), 0);
      assert.ok(text.includes('ponder_upstream_circuit_open{upstream="dead"}'));
    } finally {
      await s.close();
      await pool[Symbol.asyncDispose]();
      await up.close();
    }
  });
});
