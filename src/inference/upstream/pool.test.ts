import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type { UpstreamConfig } from '../../config/schema.ts';
import { type ChatChunk, type ChatRequest, InferenceError } from '../types.ts';
import { createUpstreamPool, type UpstreamPoolOptions } from './pool.ts';
import {
  chatStream,
  refusedBaseUrl,
  type ScriptedResponse,
  startScriptedUpstream,
} from './scripted-upstream.ts';

const request: ChatRequest = { model: 'r1-test', messages: [{ role: 'user', content: 'hi' }] };
const signal = () => new AbortController().signal;

function member(id: string, baseUrl: string, extra: Partial<UpstreamConfig> = {}): UpstreamConfig {
  return { id, baseUrl, reasoningFormat: 'auto', models: ['r1-test'], ...extra };
}

/** A server whose answers say which server it is, optionally held open until `release()`. */
async function named(name: string, script?: () => ScriptedResponse) {
  const gates: Array<() => void> = [];
  const server = await startScriptedUpstream({
    onChat: () =>
      script?.() ?? {
        lines: [
          ...chatStream({ reasoning: ['r'], content: [name] }).slice(0, 6),
          { line: '', gate: new Promise<void>((resolve) => gates.push(resolve)) },
          ...chatStream({ reasoning: ['r'], content: [name] }).slice(6),
        ],
      },
  });
  return {
    server,
    releaseAll: () => {
      for (const g of gates.splice(0)) g();
    },
  };
}

/** Starts a chat and reads until its first text chunk (the request is then in flight on a member). */
async function open(iterable: AsyncIterable<ChatChunk>) {
  const it = iterable[Symbol.asyncIterator]();
  const seen: ChatChunk[] = [];
  for (;;) {
    const { value, done } = await it.next();
    if (done) break;
    seen.push(value);
    if (value.type === 'text' || value.type === 'done') break;
  }
  return {
    seen,
    servedBy: () => seen.map((c) => (c.type === 'text' ? c.text : '')).join(''),
    rest: async () => {
      for (;;) {
        const { value, done } = await it.next();
        if (done) return seen;
        seen.push(value);
      }
    },
  };
}

async function collect(iterable: AsyncIterable<ChatChunk>): Promise<ChatChunk[]> {
  const out: ChatChunk[] = [];
  for await (const c of iterable) out.push(c);
  return out;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (condition()) return;
    await sleep(10);
  }
  assert.fail(`timed out waiting for: ${what}`);
}

const quiet: UpstreamPoolOptions = { healthCheckIntervalMs: 0 };

describe('upstream pool', () => {
  test('routes to the member with the fewest outstanding requests', async () => {
    const a = await named('A');
    const b = await named('B');
    await using _a = a.server;
    await using _b = b.server;
    await using pool = createUpstreamPool(
      [member('a', a.server.baseUrl), member('b', b.server.baseUrl)],
      quiet,
    );
    const first = await open(pool.chat(request, { signal: signal() }));
    const second = await open(pool.chat(request, { signal: signal() }));
    assert.notEqual(first.servedBy(), second.servedBy(), 'the second request goes to the idle member');
    assert.deepEqual(
      pool.members().map((m) => m.outstanding),
      [1, 1],
    );
    a.releaseAll();
    b.releaseAll();
    await first.rest();
    await second.rest();
    // One member busy again: the next request goes to the other one.
    const busy = await open(pool.chat(request, { signal: signal() }));
    const next = await open(pool.chat(request, { signal: signal() }));
    assert.notEqual(busy.servedBy(), next.servedBy());
    a.releaseAll();
    b.releaseAll();
    await busy.rest();
    await next.rest();
    assert.deepEqual(
      pool.members().map((m) => m.outstanding),
      [0, 0],
    );
  });

  test('respects maxConcurrent: queues with positions, bounded', async () => {
    const a = await named('A');
    await using _a = a.server;
    await using pool = createUpstreamPool([member('a', a.server.baseUrl, { maxConcurrent: 1 })], {
      ...quiet,
      maxQueue: 1,
      queueTimeoutMs: 10_000, // a lost wake-up fails the test instead of passing slowly
    });
    const running = await open(pool.chat(request, { signal: signal() }));
    const waiting = pool.chat(request, { signal: signal() })[Symbol.asyncIterator]();
    const firstChunk = await waiting.next();
    assert.deepEqual(firstChunk.value, { type: 'queued', position: 1 });
    assert.equal(a.server.chatRequests.length, 1, 'the queued request has not reached the upstream');
    assert.equal(pool.queueDepth, 1);
    await assert.rejects(
      collect(pool.chat(request, { signal: signal() })),
      (err) => err instanceof InferenceError && err.code === 'overloaded',
    );
    const rest = (async () => {
      const out: ChatChunk[] = [];
      for (;;) {
        const { value, done } = await waiting.next();
        if (done) return out;
        out.push(value);
        if (value.type === 'text') a.releaseAll();
      }
    })();
    a.releaseAll();
    await running.rest();
    const chunks = await rest;
    assert.deepEqual(chunks.at(-1), { type: 'done', finishReason: 'stop' });
    assert.equal(a.server.chatRequests.length, 2);
    assert.equal(pool.queueDepth, 0);
  });

  test('a queued request can be cancelled', async () => {
    const a = await named('A');
    await using _a = a.server;
    await using pool = createUpstreamPool([member('a', a.server.baseUrl, { maxConcurrent: 1 })], quiet);
    const running = await open(pool.chat(request, { signal: signal() }));
    const controller = new AbortController();
    const chunks: ChatChunk[] = [];
    for await (const c of pool.chat(request, { signal: controller.signal })) {
      chunks.push(c);
      if (c.type === 'queued') controller.abort();
    }
    assert.deepEqual(chunks, [
      { type: 'queued', position: 1 },
      { type: 'done', finishReason: 'cancelled' },
    ]);
    assert.equal(pool.queueDepth, 0);
    a.releaseAll();
    await running.rest();
    assert.equal(pool.members()[0]?.outstanding, 0);
  });

  test('fails over before the first token: a 500 and a refused connection', async () => {
    const failing = await named('X', () => ({ status: 500, body: '{"error":{"message":"boom"}}' }));
    const good = await named('B', () => ({ lines: chatStream({ content: ['B'] }) }));
    await using _f = failing.server;
    await using _g = good.server;
    const refused = await refusedBaseUrl();
    await using pool = createUpstreamPool(
      [member('bad', failing.server.baseUrl), member('dead', refused), member('good', good.server.baseUrl)],
      quiet,
    );
    for (let i = 0; i < 3; i++) {
      const chunks = await collect(pool.chat(request, { signal: signal() }));
      assert.deepEqual(chunks.at(-1), { type: 'done', finishReason: 'stop' });
      assert.equal(chunks.map((c) => (c.type === 'text' ? c.text : '')).join(''), 'B');
      assert.equal(chunks.filter((c) => c.type === 'usage').length, 1);
    }
    assert.ok(failing.server.chatRequests.length >= 1, 'the failing member was tried');
    const status = pool.members();
    assert.ok((status.find((m) => m.id === 'bad')?.consecutiveFailures ?? 0) >= 1);
    assert.match(status.find((m) => m.id === 'dead')?.lastError ?? '', /refused the connection/);
  });

  test('all members failing: the last error surfaces', async () => {
    const failing = await named('X', () => ({ status: 503, body: '{"error":{"message":"loading model"}}' }));
    await using _f = failing.server;
    await using pool = createUpstreamPool(
      [member('x', failing.server.baseUrl), member('y', failing.server.baseUrl)],
      quiet,
    );
    const chunks = await collect(pool.chat(request, { signal: signal() }));
    const done = chunks.at(-1);
    assert.equal(done?.type === 'done' && done.finishReason, 'error');
    // Users get one sentence; the last member's failure is the detail (logs, admin status).
    assert.equal(done?.type === 'done' && done.error, 'The model server is unavailable; try again shortly.');
    assert.match(done?.type === 'done' ? (done.detail ?? '') : '', /loading model/);
    assert.equal(failing.server.chatRequests.length, 2, 'each member tried once');
  });

  test('no retry after the first token: the error surfaces', async () => {
    const cut = await named('X', () => ({ lines: chatStream().slice(0, 10), cut: true }));
    const good = await named('B', () => ({ lines: chatStream({ content: ['B'] }) }));
    await using _c = cut.server;
    await using _g = good.server;
    await using pool = createUpstreamPool(
      [member('cut', cut.server.baseUrl), member('good', good.server.baseUrl)],
      quiet,
    );
    const chunks = await collect(pool.chat(request, { signal: signal() }));
    const done = chunks.at(-1);
    assert.equal(done?.type === 'done' && done.finishReason, 'error');
    assert.ok(chunks.some((c) => c.type === 'reasoning'));
    assert.equal(good.server.chatRequests.length, 0);
  });

  test('client errors are not retried and do not trip the circuit', async () => {
    const bad = await named('X', () => ({ status: 400, body: '{"error":{"message":"bad temperature"}}' }));
    await using _b = bad.server;
    await using pool = createUpstreamPool(
      [member('x', bad.server.baseUrl), member('y', bad.server.baseUrl)],
      {
        ...quiet,
        failureThreshold: 1,
      },
    );
    await assert.rejects(
      collect(pool.chat(request, { signal: signal() })),
      (err) => err instanceof InferenceError && err.code === 'invalid_request',
    );
    assert.equal(bad.server.chatRequests.length, 1);
    assert.ok(pool.members().every((m) => m.circuit === 'closed'));
  });

  test('circuit opens after K failures, half-open probe closes it', async () => {
    let failing = true;
    const flaky = await named('F', () =>
      failing
        ? { status: 500, body: '{"error":{"message":"down"}}' }
        : { lines: chatStream({ content: ['F'] }) },
    );
    await using _f = flaky.server;
    await using pool = createUpstreamPool([member('f', flaky.server.baseUrl)], {
      ...quiet,
      failureThreshold: 2,
      circuitCooldownMs: 100,
    });
    for (let i = 0; i < 2; i++) {
      const done = (await collect(pool.chat(request, { signal: signal() }))).at(-1);
      assert.equal(done?.type === 'done' && done.finishReason, 'error');
    }
    assert.equal(pool.members()[0]?.circuit, 'open');
    // Open: rejected at once, nothing sent.
    await assert.rejects(
      collect(pool.chat(request, { signal: signal() })),
      (err) =>
        err instanceof InferenceError &&
        err.code === 'upstream_error' &&
        /open circuits/.test(err.detail ?? ''),
    );
    assert.equal(flaky.server.chatRequests.length, 2);
    assert.equal((await pool.health()).ok, false);
    failing = false;
    await until(() => pool.members()[0]?.circuit === 'half-open', 'cooldown');
    const probe = await collect(pool.chat(request, { signal: signal() }));
    assert.deepEqual(probe.at(-1), { type: 'done', finishReason: 'stop' });
    assert.equal(pool.members()[0]?.circuit, 'closed');
    assert.equal(pool.members()[0]?.consecutiveFailures, 0);
  });

  test('a failed probe re-opens the circuit', async () => {
    const down = await named('D', () => ({ status: 502, body: 'bad gateway' }));
    await using _d = down.server;
    await using pool = createUpstreamPool([member('d', down.server.baseUrl)], {
      ...quiet,
      failureThreshold: 1,
      circuitCooldownMs: 50,
    });
    await collect(pool.chat(request, { signal: signal() }));
    await until(() => pool.members()[0]?.circuit === 'half-open', 'cooldown');
    await collect(pool.chat(request, { signal: signal() }));
    assert.equal(pool.members()[0]?.circuit, 'open');
    assert.equal(down.server.chatRequests.length, 2);
  });

  test('health checks mark a dead member down and back up; traffic avoids it', async () => {
    const a = await named('A', () => ({ lines: chatStream({ content: ['A'] }) }));
    const b = await named('B', () => ({ lines: chatStream({ content: ['B'] }) }));
    await using _a = a.server;
    await using _b = b.server;
    await using pool = createUpstreamPool([member('a', a.server.baseUrl), member('b', b.server.baseUrl)], {
      healthCheckIntervalMs: 20,
    });
    a.server.setDown(true);
    await until(() => pool.members()[0]?.healthy === false, 'a marked down');
    assert.match(pool.members()[0]?.lastError ?? '', /health check failed/);
    for (let i = 0; i < 4; i++) {
      const chunks = await collect(pool.chat(request, { signal: signal() }));
      assert.equal(chunks.map((c) => (c.type === 'text' ? c.text : '')).join(''), 'B');
    }
    const models = await pool.models();
    assert.deepEqual(models, [
      {
        id: 'r1-test',
        provider: 'upstreams',
        state: 'ready',
        supportsTools: true,
        supportsResponseFormat: true,
      },
    ]);
    a.server.setDown(false);
    await until(() => pool.members()[0]?.healthy === true, 'a back up');
    const health = await pool.health();
    assert.equal(health.ok, true);
    assert.equal(health.detail, '2/2 upstreams available');
  });

  test('discovers models from members and disposal stops the health checks', async () => {
    const a = await startScriptedUpstream({ models: ['m1', 'm2'] });
    await using _a = a;
    const pool = createUpstreamPool([{ id: 'a', baseUrl: a.baseUrl, reasoningFormat: 'auto' }], {
      healthCheckIntervalMs: 20,
    });
    assert.deepEqual(
      (await pool.models()).map((m) => m.id),
      ['m1', 'm2'],
    );
    await assert.rejects(
      collect(pool.chat({ ...request, model: 'nope' }, { signal: signal() })),
      (err) => err instanceof InferenceError && err.code === 'model_not_found',
    );
    await until(() => a.requests.length >= 3, 'periodic checks');
    await pool[Symbol.asyncDispose]();
    const count = a.requests.length;
    await sleep(100);
    assert.equal(a.requests.length, count, 'no health checks after dispose');
  });

  test('each API key goes only to its own upstream and never into status or logs', async () => {
    const keyA = 'sk-alpha-canary-1111';
    const keyB = 'sk-bravo-canary-2222';
    const a = await named('A', () => ({
      status: 500,
      body: JSON.stringify({ error: { message: `bad ${keyA}` } }),
    }));
    const b = await named('B', () => ({ lines: chatStream({ content: ['B'] }) }));
    await using _a = a.server;
    await using _b = b.server;
    const lines: string[] = [];
    const logger = pino(
      { level: 'trace' },
      new Writable({
        write(chunk, _enc, cb) {
          lines.push(String(chunk));
          cb();
        },
      }),
    );
    await using pool = createUpstreamPool(
      [
        { id: 'a', baseUrl: a.server.baseUrl, apiKey: keyA, reasoningFormat: 'auto' },
        { id: 'b', baseUrl: b.server.baseUrl, apiKey: keyB, reasoningFormat: 'auto' },
      ],
      { healthCheckIntervalMs: 0, logger },
    );
    await pool.checkHealth();
    for (let i = 0; i < 3; i++) await collect(pool.chat(request, { signal: signal() }));
    assert.ok(a.server.requests.length > 0 && b.server.requests.length > 0);
    for (const r of a.server.requests) assert.equal(r.headers.authorization, `Bearer ${keyA}`);
    for (const r of b.server.requests) assert.equal(r.headers.authorization, `Bearer ${keyB}`);
    const exposed =
      JSON.stringify([pool.members(), await pool.models(), await pool.health()]) + lines.join('');
    assert.ok(!exposed.includes(keyA) && !exposed.includes(keyB));
    assert.ok(lines.length > 0, 'the logger was used');
  });

  test('disposing the pool ends queued requests with a clear error', async () => {
    const a = await named('A');
    await using _a = a.server;
    const pool = createUpstreamPool([member('a', a.server.baseUrl, { maxConcurrent: 1 })], quiet);
    const running = await open(pool.chat(request, { signal: signal() }));
    const queued = pool.chat(request, { signal: signal() })[Symbol.asyncIterator]();
    assert.deepEqual((await queued.next()).value, { type: 'queued', position: 1 });
    const rest = queued.next();
    await pool[Symbol.asyncDispose]();
    const done = (await rest).value as ChatChunk;
    assert.equal(done.type === 'done' && done.finishReason, 'error');
    assert.match(done.type === 'done' ? (done.detail ?? '') : '', /shutting down/);
    const first = (await running.rest()).at(-1);
    assert.match(first?.type === 'done' ? (first.detail ?? '') : '', /shutting down/);
    a.releaseAll();
  });
});
