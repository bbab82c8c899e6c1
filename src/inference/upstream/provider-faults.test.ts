import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { UpstreamConfig } from '../../config/schema.ts';
import { type ChatChunk, InferenceError } from '../types.ts';
import { createUpstreamProvider, type UpstreamProviderOptions } from './provider.ts';
import { capturingLogger, collect, config, joined, KEY, last, request } from './provider-test-helpers.ts';
import {
  chatStream,
  refusedBaseUrl,
  type ScriptedUpstream,
  startScriptedUpstream,
} from './scripted-upstream.ts';

describe('upstream provider faults', () => {
  let up: ScriptedUpstream;
  const logs = capturingLogger();
  const make = (extra: Partial<UpstreamConfig> = {}, options: UpstreamProviderOptions = {}) =>
    createUpstreamProvider(config(up.baseUrl, { apiKey: KEY, ...extra }), {
      logger: logs.logger,
      ...options,
    });

  before(async () => {
    up = await startScriptedUpstream({ models: ['r1-test', 'other'] });
  });
  after(async () => {
    await up.close();
    // No secret ever reaches the logs.
    assert.ok(!logs.lines.join('').includes(KEY));
  });

  test('a stream cut mid-way ends with done:error and keeps the partial output', async () => {
    const lines = chatStream().slice(0, 6);
    up.enqueue({ lines, cut: true });
    const chunks = await collect(make().chat(request, { signal: new AbortController().signal }));
    const done = last(chunks);
    assert.equal(done?.type === 'done' && done.finishReason, 'error');
    assert.match(done?.type === 'done' ? (done.detail ?? '') : '', /up/);
    assert.ok(joined(chunks, 'reasoning').length > 0);
  });

  test('a stream that ends cleanly but without [DONE] or a finish reason is an error', async () => {
    up.enqueue({ lines: chatStream().slice(0, 6) });
    const chunks = await collect(make().chat(request, { signal: new AbortController().signal }));
    const done = last(chunks);
    assert.equal(done?.type === 'done' && done.finishReason, 'error');
    assert.match(done?.type === 'done' ? (done.detail ?? '') : '', /ended the stream/);
  });

  test('a finish reason without [DONE] is a normal end', async () => {
    up.enqueue({ lines: chatStream({ done: false }) });
    const chunks = await collect(make().chat(request, { signal: new AbortController().signal }));
    assert.deepEqual(last(chunks), { type: 'done', finishReason: 'stop' });
  });

  for (const garbage of ['<html>502 Bad Gateway</html>', 'data: {not json', 'data: 42']) {
    test(`a garbage line (${garbage}) ends with a clear error`, async () => {
      up.enqueue({ lines: [...chatStream().slice(0, 4), garbage, '', ...chatStream().slice(4)] });
      const chunks = await collect(make().chat(request, { signal: new AbortController().signal }));
      const done = last(chunks);
      assert.equal(done?.type === 'done' && done.finishReason, 'error');
      assert.match(done?.type === 'done' ? (done.detail ?? '') : '', /malformed/);
    });
  }

  test('an error object in the stream, and llama-server `error:` lines', async () => {
    up.enqueue(
      {
        lines: [
          ...chatStream().slice(0, 4),
          `data: {"error":{"message":"slot died","type":"server_error"}}`,
          '',
        ],
      },
      { lines: [...chatStream().slice(0, 2), `error: {"code":500,"message":"decode failed"}`, ''] },
      { lines: ['event: error', 'data: {"message":"overloaded"}', ''] },
    );
    const p = make();
    for (const expected of [/slot died/, /decode failed/, /overloaded/]) {
      const done = last(await collect(p.chat(request, { signal: new AbortController().signal })));
      assert.equal(done?.type === 'done' && done.finishReason, 'error');
      assert.match(done?.type === 'done' ? (done.detail ?? '') : '', expected);
    }
  });

  test('HTTP 500 surfaces the body message (llama-server invalid UTF-8)', async () => {
    up.enqueue({
      status: 500,
      body: JSON.stringify({
        error: { code: 500, message: 'Invalid UTF-8 sequence in output', type: 'server_error' },
      }),
    });
    const chunks = await collect(make().chat(request, { signal: new AbortController().signal }));
    assert.equal(chunks.length, 1);
    const done = chunks[0];
    assert.equal(done?.type === 'done' && done.finishReason, 'error');
    assert.match(done?.type === 'done' ? (done.detail ?? '') : '', /HTTP 500\): Invalid UTF-8 sequence/);
  });

  test('client errors are thrown as typed InferenceErrors before any chunk', async () => {
    up.enqueue(
      {
        status: 400,
        body: JSON.stringify({ error: { message: 'the request exceeds the available context size' } }),
      },
      { status: 400, body: JSON.stringify({ error: { message: 'temperature must be positive' } }) },
      { status: 404, body: JSON.stringify({ error: { message: 'model not found' } }) },
    );
    const p = make();
    for (const code of ['context_overflow', 'invalid_request', 'model_not_found']) {
      await assert.rejects(collect(p.chat(request, { signal: new AbortController().signal })), (err) => {
        assert.ok(err instanceof InferenceError);
        assert.equal(err.code, code);
        return true;
      });
    }
  });

  test('a model outside the configured list is model_not_found without a request', async () => {
    const before = up.chatRequests.length;
    await assert.rejects(
      collect(
        make({ models: ['r1-test'] }).chat(
          { ...request, model: 'nope' },
          { signal: new AbortController().signal },
        ),
      ),
      (err) => err instanceof InferenceError && err.code === 'model_not_found',
    );
    assert.equal(up.chatRequests.length, before);
  });

  test('401 says the key was rejected, without the key', async () => {
    up.enqueue({ status: 401, body: JSON.stringify({ error: { message: `invalid key ${KEY}` } }) });
    const done = last(await collect(make().chat(request, { signal: new AbortController().signal })));
    const error = done?.type === 'done' ? (done.detail ?? '') : '';
    assert.match(error, /rejected its API key/);
    assert.ok(!error.includes(KEY));
  });

  test('a slow first byte times out instead of hanging', async () => {
    // Own server: a request aborted before it is even sent must not consume a shared script.
    await using slow = await startScriptedUpstream({
      onChat: () => ({ headerDelayMs: 2_000, lines: chatStream() }),
    });
    const p = createUpstreamProvider(config(slow.baseUrl), { firstByteTimeoutMs: 100 });
    const done = last(await collect(p.chat(request, { signal: new AbortController().signal })));
    assert.equal(done?.type === 'done' && done.finishReason, 'error');
    assert.match(done?.type === 'done' ? (done.detail ?? '') : '', /no response within 100 ms/);
  });

  test('a stalled stream times out; keep-alive comments keep it alive', async () => {
    await using stalling = await startScriptedUpstream({
      onChat: (req) =>
        (req.body as { seed?: number }).seed === 1
          ? { lines: chatStream().slice(0, 4), hang: true }
          : {
              lines: [
                ...chatStream().slice(0, 4),
                { line: ': keep-alive', delayMs: 60 },
                { line: ': keep-alive', delayMs: 60 },
                { line: ': keep-alive', delayMs: 60 },
                ...chatStream().slice(4),
              ],
            },
    });
    const p = createUpstreamProvider(config(stalling.baseUrl), { idleTimeoutMs: 150 });
    const stalled = last(
      await collect(p.chat({ ...request, seed: 1 }, { signal: new AbortController().signal })),
    );
    assert.equal(stalled?.type === 'done' && stalled.finishReason, 'error');
    assert.match(stalled?.type === 'done' ? (stalled.detail ?? '') : '', /stalled/);
    const alive = last(
      await collect(p.chat({ ...request, seed: 2 }, { signal: new AbortController().signal })),
    );
    assert.deepEqual(alive, { type: 'done', finishReason: 'stop' });
  });

  test('abort cancels the request and keeps the partial output', async () => {
    up.enqueue({ lines: chatStream().slice(0, 6), hang: true });
    const controller = new AbortController();
    const chunks: ChatChunk[] = [];
    for await (const c of make().chat(request, { signal: controller.signal })) {
      chunks.push(c);
      if (c.type === 'reasoning') controller.abort();
    }
    assert.ok(joined(chunks, 'reasoning').length > 0);
    const usage = chunks.find((c) => c.type === 'usage');
    assert.ok(usage, 'an estimated usage chunk precedes done');
    assert.deepEqual(last(chunks), { type: 'done', finishReason: 'cancelled' });
    // The upstream sees the connection go away.
    for (let i = 0; i < 100 && up.openChats > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(up.openChats, 0);
  });

  test('an already aborted signal sends nothing', async () => {
    const before = up.chatRequests.length;
    const controller = new AbortController();
    controller.abort();
    assert.deepEqual(await collect(make().chat(request, { signal: controller.signal })), [
      { type: 'done', finishReason: 'cancelled' },
    ]);
    assert.equal(up.chatRequests.length, before);
  });

  test('a connection refused is a clear error', async () => {
    const p = createUpstreamProvider(config(await refusedBaseUrl(), { apiKey: KEY }));
    const done = last(await collect(p.chat(request, { signal: new AbortController().signal })));
    assert.equal(done?.type === 'done' && done.finishReason, 'error');
    assert.match(done?.type === 'done' ? (done.detail ?? '') : '', /refused the connection/);
    assert.equal((await p.health()).ok, false);
  });

  test('no usage from the server: an estimate from the deltas', async () => {
    up.enqueue({ lines: chatStream({ usage: null }) });
    const chunks = await collect(make().chat(request, { signal: new AbortController().signal }));
    assert.deepEqual(chunks.at(-2), {
      type: 'usage',
      promptTokens: 0,
      cachedPromptTokens: 0,
      completionTokens: 4,
      reasoningTokens: 2,
    });
  });

  test('a server that ignores stream:true and answers JSON', async () => {
    up.enqueue({
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        choices: [
          { message: { role: 'assistant', reasoning_content: 'R', content: 'T' }, finish_reason: 'stop' },
        ],
        usage: { prompt_tokens: 3, completion_tokens: 2 },
      }),
    });
    const chunks = await collect(make().chat(request, { signal: new AbortController().signal }));
    assert.equal(joined(chunks, 'reasoning'), 'R');
    assert.equal(joined(chunks, 'text'), 'T');
    assert.deepEqual(last(chunks), { type: 'done', finishReason: 'stop' });
  });

  test('models(): configured, or discovered and cached; never a secret', async () => {
    // Upstreams speak OpenAI's tool and response_format shapes, so their models say they support both.
    assert.deepEqual(await make({ models: ['a'] }).models(), [
      { id: 'a', provider: 'up', state: 'ready', supportsTools: true, supportsResponseFormat: true },
    ]);
    const p = make();
    const before = up.requests.filter((r) => r.path === '/v1/models').length;
    const first = await p.models();
    await p.models();
    assert.deepEqual(
      first.map((m) => m.id),
      ['r1-test', 'other'],
    );
    assert.equal(up.requests.filter((r) => r.path === '/v1/models').length, before + 1);
    assert.ok(!JSON.stringify(first).includes(KEY));
    assert.ok(!JSON.stringify(await p.health()).includes(KEY));
    await assert.rejects(
      createUpstreamProvider(config(await refusedBaseUrl(), { apiKey: KEY })).models(),
      (err) => err instanceof InferenceError && err.code === 'upstream_error' && !err.message.includes(KEY),
    );
  });

  test('a redirect is refused, so the API key never follows it elsewhere', async () => {
    await using elsewhere = await startScriptedUpstream();
    up.enqueue({ status: 307, headers: { location: `${elsewhere.baseUrl}/chat/completions` } });
    const done = last(await collect(make().chat(request, { signal: new AbortController().signal })));
    assert.equal(done?.type === 'done' && done.finishReason, 'error');
    assert.match(done?.type === 'done' ? (done.detail ?? '') : '', /redirect/);
    assert.equal(elsewhere.requests.length, 0);
  });
});
