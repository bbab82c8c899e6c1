/**
 * The Messages API under attack: oversized bodies (413 `request_too_large`, every time), keys in the URL,
 * hostile JSON (prototype keys, deep nesting, huge schemas), a failing upstream at an internal address
 * (one plain sentence, never its host, port or path) and message content never reaching the logs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { MODEL_SERVER_UNAVAILABLE } from '../src/inference/types.ts';
import { createUpstreamPool, type UpstreamPool } from '../src/inference/upstream/pool.ts';
import { refusedBaseUrl } from '../src/inference/upstream/scripted-upstream.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';

const CANARY = 'msg-canary-8f3a1c5e77';

describe('attack: the Messages API', () => {
  let server: TestServer;
  let pool: UpstreamPool;
  let key: string;
  let internal: URL;

  before(async () => {
    internal = new URL(`${await refusedBaseUrl()}/internal-gpu-9`);
    pool = createUpstreamPool(
      [{ id: 'dead', baseUrl: internal.href, models: ['dead-r1'], reasoningFormat: 'auto' }],
      { healthCheckIntervalMs: 0 },
    );
    server = await startTestServer({
      deps: { providers: [pool], upstreamPools: [pool], defaultModel: 'dead-r1' },
    });
    const { cookie } = await server.signup();
    const res = await server.request('/api/keys', { method: 'POST', cookie, json: { name: 'attack' } });
    key = ((await res.json()) as { key: string }).key;
  });
  after(async () => {
    await server?.close();
  });

  const post = (path: string, body: unknown, extra: Record<string, string> = {}) =>
    fetch(`${server.baseUrl}${path}`, {
      method: 'POST',
      headers: {
        'x-api-key': key,
        'anthropic-version': '2023-06-01',
        'content-type': 'application/json',
        ...extra,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  test('a 5 MB body is 413 request_too_large in Anthropic shape, every time, also through the SDK', async () => {
    const huge = { model: 'x', max_tokens: 1, messages: [{ role: 'user', content: 'x'.repeat(5_000_000) }] };
    for (const path of ['/v1/messages', '/v1/messages/count_tokens', '/v1/messages']) {
      const res = await post(path, huge);
      assert.equal(res.status, 413);
      const body = (await res.json()) as { type: string; error: { type: string } };
      assert.deepEqual([body.type, body.error.type], ['error', 'request_too_large']);
    }
    const client = new Anthropic({ baseURL: server.baseUrl, apiKey: key, maxRetries: 0 });
    await assert.rejects(
      client.messages.create(huge as Anthropic.MessageCreateParamsNonStreaming),
      (err: unknown) => err instanceof Anthropic.APIError && err.status === 413,
    );
  });

  test('a key in the URL is refused even when valid; a wrong key is authentication_error', async () => {
    const inUrl = await fetch(`${server.baseUrl}/v1/messages?api_key=${key}`, { method: 'POST' });
    assert.equal(inUrl.status, 401);
    assert.equal(((await inUrl.json()) as { error: { type: string } }).error.type, 'authentication_error');
    const wrong = await post('/v1/messages', {}, { 'x-api-key': 'pk-not-a-key' });
    assert.equal(wrong.status, 401);
    const body = (await wrong.json()) as { error: { type: string }; request_id?: string };
    assert.equal(body.error.type, 'authentication_error');
    assert.ok(body.request_id, 'the error names its request id, as Anthropic does');
  });

  test('hostile JSON: 400 naming the field, never a crash', async () => {
    const base = { model: 'dead-r1', max_tokens: 4, messages: [{ role: 'user', content: 'hi' }] };
    const cases: unknown[] = [
      '{"model":"dead-r1","max_tokens":4,"messages":[{"role":"user","content":"hi"}],"__proto__":{"admin":true}}',
      {
        ...base,
        messages: [{ role: 'user', content: [{ type: 'text', text: 'x', constructor: { prototype: 1 } }] }],
      },
      { ...base, messages: [{ role: 'tool', content: 'x' }] },
      { ...base, messages: 'not a list' },
      { ...base, messages: [] },
      { ...base, max_tokens: -1 },
      { ...base, max_tokens: 1e300 },
      { ...base, stop_sequences: ['x'.repeat(5000)] },
      { ...base, tools: [{ name: 'bad name!', input_schema: {} }] },
      { ...base, tool_choice: { type: 'tool' } },
      [1, 2, 3],
      'null',
      '{"model":',
    ];
    for (const body of cases) {
      const res = await post('/v1/messages', body);
      assert.equal(res.status, 400, `${JSON.stringify(body).slice(0, 120)} → ${res.status}`);
      const err = (await res.json()) as { type: string; error: { type: string; message: string } };
      assert.equal(err.error.type, 'invalid_request_error');
      assert.ok(err.error.message.length > 0);
    }
    // Deep nesting inside a tool schema: accepted by the parser, refused or served without crashing.
    let schema: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 2000; i++) schema = { type: 'object', properties: { a: schema } };
    const deep = await post('/v1/messages', { ...base, tools: [{ name: 'deep', input_schema: schema }] });
    assert.ok(deep.status < 500 || deep.status === 502, String(deep.status));
    const health = await fetch(`${server.baseUrl}/healthz`);
    assert.ok(health.status < 500);
  });

  test('a failing upstream: one plain sentence, streamed or not, never its address; no content in logs', async () => {
    for (const stream of [false, true]) {
      const res = await post('/v1/messages', {
        model: 'dead-r1',
        max_tokens: 4,
        stream,
        messages: [{ role: 'user', content: CANARY }],
      });
      const text = await res.text();
      assert.ok(text.includes(MODEL_SERVER_UNAVAILABLE), text);
      assert.ok(!text.includes(internal.port) && !text.includes('internal-gpu-9'), text);
      assert.ok(!/ECONNREFUSED|127\.0\.0\.1/.test(text), text);
      assert.ok(/"type":"error"/.test(text), text);
    }
    const counted = await post('/v1/messages/count_tokens', {
      model: 'dead-r1',
      messages: [{ role: 'user', content: CANARY }],
    });
    assert.ok(!(await counted.text()).includes('internal-gpu-9'));
    assert.ok(!server.logs.some((l) => l.includes(CANARY)), 'message text never reaches the logs');
    assert.ok(!server.logs.some((l) => l.includes(key)), 'the key never reaches the logs');
  });
});
