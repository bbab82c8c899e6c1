import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import type { UpstreamConfig } from '../../config/schema.ts';
import { type ChatChunk, type ChatRequest, InferenceError } from '../types.ts';
import { createUpstreamProvider, type UpstreamProviderOptions } from './provider.ts';
import {
  chatStream,
  refusedBaseUrl,
  type ScriptedUpstream,
  startScriptedUpstream,
} from './scripted-upstream.ts';

const KEY = 'sk-canary-7f3a9c1e5b';

function config(baseUrl: string, extra: Partial<UpstreamConfig> = {}): UpstreamConfig {
  return { id: 'up', baseUrl, reasoningFormat: 'auto', ...extra };
}

const request: ChatRequest = { model: 'r1-test', messages: [{ role: 'user', content: 'hi' }] };

async function collect(iterable: AsyncIterable<ChatChunk>): Promise<ChatChunk[]> {
  const out: ChatChunk[] = [];
  for await (const c of iterable) out.push(c);
  return out;
}

function joined(chunks: ChatChunk[], type: 'reasoning' | 'text'): string {
  return chunks.map((c) => (c.type === type ? c.text : '')).join('');
}

function last(chunks: ChatChunk[]): ChatChunk | undefined {
  return chunks[chunks.length - 1];
}

function capturingLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), lines };
}

describe('upstream provider', () => {
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

  test('streams reasoning_content and content, maps usage, sends a well-formed request', async () => {
    up.enqueue({
      lines: chatStream({
        usage: {
          prompt_tokens: 20,
          completion_tokens: 7,
          prompt_tokens_details: { cached_tokens: 16 },
          completion_tokens_details: { reasoning_tokens: 3 },
        },
      }),
    });
    const p = make();
    const chunks = await collect(
      p.chat(
        {
          ...request,
          messages: [
            { role: 'user', content: 'q1' },
            { role: 'assistant', content: 'a1', reasoning: 'secret thoughts' },
            { role: 'user', content: 'q2' },
          ],
          maxTokens: 99,
          seed: 7,
          stop: ['END'],
        },
        { signal: new AbortController().signal },
      ),
    );
    assert.equal(joined(chunks, 'reasoning'), 'Let me think.');
    assert.equal(joined(chunks, 'text'), 'Hello world');
    assert.deepEqual(chunks.at(-2), {
      type: 'usage',
      promptTokens: 20,
      cachedPromptTokens: 16,
      completionTokens: 7,
      reasoningTokens: 3,
    });
    assert.deepEqual(last(chunks), { type: 'done', finishReason: 'stop' });
    const sent = up.chatRequests.at(-1);
    assert.equal(sent?.headers.authorization, `Bearer ${KEY}`);
    const body = sent?.body as Record<string, unknown>;
    assert.equal(body.stream, true);
    assert.deepEqual(body.stream_options, { include_usage: true });
    assert.equal(body.max_tokens, 99);
    assert.equal(body.seed, 7);
    assert.deepEqual(body.stop, ['END']);
    assert.equal(body.temperature, 0.6);
    assert.equal(body.top_p, 0.95);
    assert.deepEqual(body.messages, [
      { role: 'user', content: 'q1' },
      { role: 'assistant', content: 'a1' },
      { role: 'user', content: 'q2' },
    ]);
    assert.equal(body.chat_template_kwargs, undefined, 'default thinking sends no extra fields');
  });

  test('DeepSeek-style prompt_cache_hit_tokens', async () => {
    up.enqueue({
      lines: chatStream({ usage: { prompt_tokens: 10, completion_tokens: 5, prompt_cache_hit_tokens: 8 } }),
    });
    const chunks = await collect(make().chat(request, { signal: new AbortController().signal }));
    const usage = chunks.find((c) => c.type === 'usage');
    assert.equal(usage?.type === 'usage' && usage.cachedPromptTokens, 8);
  });

  test('thinking off and budgets map to the fields each server understands', async () => {
    up.enqueue({ lines: chatStream() }, { lines: chatStream() });
    const p = make();
    await collect(
      p.chat({ ...request, thinking: { enabled: false } }, { signal: new AbortController().signal }),
    );
    let body = up.chatRequests.at(-1)?.body as Record<string, unknown>;
    assert.deepEqual(body.chat_template_kwargs, { enable_thinking: false, thinking: false });
    assert.equal(body.reasoning_budget_tokens, 1);
    await collect(
      p.chat(
        { ...request, thinking: { enabled: true, effort: 'low' } },
        { signal: new AbortController().signal },
      ),
    );
    body = up.chatRequests.at(-1)?.body as Record<string, unknown>;
    assert.equal(body.reasoning_effort, 'low');
    assert.equal(body.reasoning_budget_tokens, 1024);
    assert.equal(body.chat_template_kwargs, undefined);
  });

  test('vLLM-style `reasoning` field', async () => {
    up.enqueue({ lines: chatStream({ reasoningField: 'reasoning', reasoning: ['Hmm', '...'] }) });
    const chunks = await collect(make().chat(request, { signal: new AbortController().signal }));
    assert.equal(joined(chunks, 'reasoning'), 'Hmm...');
    assert.equal(joined(chunks, 'text'), 'Hello world');
  });

  test('inline <think> tags in content, split across events and TCP chunks', async () => {
    up.enqueue({
      lines: chatStream({
        reasoning: [],
        content: ['<thi', 'nk>\nPonder', 'ing.\n</', 'think>\n\n', 'Answer.'],
      }),
    });
    const chunks = await collect(make().chat(request, { signal: new AbortController().signal }));
    assert.equal(joined(chunks, 'reasoning'), 'Pondering.');
    assert.equal(joined(chunks, 'text'), 'Answer.');
  });

  test('think-tags format for R1-distill raw output (template opened <think>)', async () => {
    up.enqueue({ lines: chatStream({ reasoning: [], content: ['Ponder', '\n</think>\n\n', 'Answer.'] }) });
    const chunks = await collect(
      make({ reasoningFormat: 'think-tags' }).chat(request, { signal: new AbortController().signal }),
    );
    assert.equal(joined(chunks, 'reasoning'), 'Ponder');
    assert.equal(joined(chunks, 'text'), 'Answer.');
  });

  test('keep-alive comments, empty lines, CRLF and events split mid-line and mid-UTF-8', async () => {
    const event = (delta: object) => `data: ${JSON.stringify({ choices: [{ delta, finish_reason: null }] })}`;
    const bytes = Buffer.from(event({ reasoning_content: 'é💭x' }), 'utf8');
    const cut = bytes.indexOf(Buffer.from('💭', 'utf8')) + 2;
    up.enqueue({
      lines: [
        { line: ': keep-alive', eol: '\r\n' },
        { line: '', eol: '\r\n' },
        { line: ': keep-alive', eol: '\r\n' },
        { line: bytes.subarray(0, cut), eol: '', delayMs: 5 },
        { line: bytes.subarray(cut), eol: '\r', delayMs: 5 },
        { line: '', eol: '\n', delayMs: 5 },
        { line: '', eol: '\r\n' },
        { line: event({ content: 'ok' }), eol: '\r\n\r\n', delayMs: 5 },
        `data: ${JSON.stringify({ choices: [{ delta: {}, finish_reason: 'length' }] })}`,
        '',
        'data: [DONE]',
        '',
      ],
    });
    const chunks = await collect(make().chat(request, { signal: new AbortController().signal }));
    assert.equal(joined(chunks, 'reasoning'), 'é💭x');
    assert.equal(joined(chunks, 'text'), 'ok');
    assert.deepEqual(last(chunks), { type: 'done', finishReason: 'length' });
  });

  test('a stream cut mid-way ends with done:error and keeps the partial output', async () => {
    const lines = chatStream().slice(0, 6);
    up.enqueue({ lines, cut: true });
    const chunks = await collect(make().chat(request, { signal: new AbortController().signal }));
    const done = last(chunks);
    assert.equal(done?.type === 'done' && done.finishReason, 'error');
    assert.match(done?.type === 'done' ? (done.error ?? '') : '', /up/);
    assert.ok(joined(chunks, 'reasoning').length > 0);
  });

  test('a stream that ends cleanly but without [DONE] or a finish reason is an error', async () => {
    up.enqueue({ lines: chatStream().slice(0, 6) });
    const chunks = await collect(make().chat(request, { signal: new AbortController().signal }));
    const done = last(chunks);
    assert.equal(done?.type === 'done' && done.finishReason, 'error');
    assert.match(done?.type === 'done' ? (done.error ?? '') : '', /ended the stream/);
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
      assert.match(done?.type === 'done' ? (done.error ?? '') : '', /malformed/);
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
      assert.match(done?.type === 'done' ? (done.error ?? '') : '', expected);
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
    assert.match(done?.type === 'done' ? (done.error ?? '') : '', /HTTP 500\): Invalid UTF-8 sequence/);
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
    const error = done?.type === 'done' ? (done.error ?? '') : '';
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
    assert.match(done?.type === 'done' ? (done.error ?? '') : '', /no response within 100 ms/);
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
    assert.match(stalled?.type === 'done' ? (stalled.error ?? '') : '', /stalled/);
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
    assert.match(done?.type === 'done' ? (done.error ?? '') : '', /refused the connection/);
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
    assert.deepEqual(await make({ models: ['a'] }).models(), [{ id: 'a', provider: 'up', state: 'ready' }]);
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
});
