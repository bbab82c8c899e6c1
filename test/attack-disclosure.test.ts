/**
 * Disclosure (issue 9, item 7): an upstream at an internal address fails; users of the web API and `/v1`
 * get one plain sentence, never its host, port or path, while the log and the admin pages keep the detail.
 * Upstream credentials in `baseUrl` (`user:pass@`) are sent as `Authorization: Basic` and shown nowhere.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MODEL_SERVER_UNAVAILABLE } from '../src/inference/types.ts';
import { createUpstreamPool, type UpstreamPool } from '../src/inference/upstream/pool.ts';
import {
  refusedBaseUrl,
  type ScriptedUpstream,
  startScriptedUpstream,
} from '../src/inference/upstream/scripted-upstream.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';
import { collectSse } from './conversations-helpers.ts';

const PASSWORD = 'pw-canary-5e1d9a7c3b';

describe('attack: internal upstream details never reach users', () => {
  let server: TestServer;
  let pool: UpstreamPool;
  let upstream: ScriptedUpstream;
  let internal: URL;
  let admin: string;
  let user: string;
  let key: string;

  before(async () => {
    upstream = await startScriptedUpstream({ models: ['live-r1'] });
    // A closed port on an internal address, with a distinctive path.
    internal = new URL(`${await refusedBaseUrl()}/internal-gpu-7`);
    const live = new URL(upstream.baseUrl);
    live.username = 'ponder';
    live.password = PASSWORD;
    pool = createUpstreamPool(
      [
        { id: 'dead', baseUrl: internal.href, models: ['dead-r1'], reasoningFormat: 'auto' },
        { id: 'live', baseUrl: live.href, models: ['live-r1'], reasoningFormat: 'auto' },
      ],
      { healthCheckIntervalMs: 0 },
    );
    server = await startTestServer({
      deps: { providers: [pool], upstreamPools: [pool], defaultModel: 'dead-r1' },
    });
    admin = (await server.signup()).cookie;
    user = (await server.signup()).cookie;
    const res = await server.request('/api/keys', { method: 'POST', cookie: user, json: { name: 'k' } });
    key = ((await res.json()) as { key: string }).key;
  });
  after(async () => {
    await server?.close();
    await upstream?.close();
  });

  function assertNoInternals(text: string, where: string): void {
    assert.ok(!text.includes(internal.port), `${where} shows the port: ${text}`);
    assert.ok(!text.includes('internal-gpu-7'), `${where} shows the path: ${text}`);
    assert.ok(!/ECONNREFUSED|127\.0\.0\.1/.test(text), `${where} shows the cause: ${text}`);
  }

  const v1 = (stream: boolean) =>
    fetch(`${server.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'dead-r1', stream, messages: [{ role: 'user', content: 'hi' }] }),
    });

  test('/v1, without and with streaming: a plain sentence', async () => {
    for (const stream of [false, true]) {
      const res = await v1(stream);
      const text = await res.text();
      assertNoInternals(text, `/v1 stream=${stream}`);
      assert.ok(text.includes(MODEL_SERVER_UNAVAILABLE), text);
    }
  });

  test('web chat: the stream and the stored message carry a plain sentence', async () => {
    const created = await server.request('/api/conversations', { method: 'POST', cookie: user, json: {} });
    const conv = (await created.json()) as { id: string };
    const sent = await server.request(`/api/conversations/${conv.id}/messages`, {
      method: 'POST',
      cookie: user,
      json: { content: 'hello', model: 'dead-r1' },
    });
    const events = await collectSse(sent);
    assert.deepEqual(events.at(-1)?.data, { finishReason: 'error', error: MODEL_SERVER_UNAVAILABLE });
    assertNoInternals(JSON.stringify(events), 'web stream');
    const stored = await (await server.request(`/api/conversations/${conv.id}`, { cookie: user })).text();
    assertNoInternals(stored, 'stored conversation');
  });

  test('GET /api/models as a user has no detail with addresses or paths; admins keep it', async () => {
    const asUser = await (await server.request('/api/models', { cookie: user })).text();
    assertNoInternals(asUser, '/api/models (user)');
    const asAdmin = await (await server.request('/api/admin/upstreams', { cookie: admin })).text();
    assert.ok(asAdmin.includes('internal-gpu-7'), 'the admin page names the failing upstream');
    assert.ok(
      server.logs.some((l) => l.includes('ECONNREFUSED')),
      'the log has the cause',
    );
  });

  test('user:pass@ in baseUrl is sent as Basic auth and redacted everywhere', async () => {
    const res = await fetch(`${server.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'live-r1', messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    const received = upstream.chatRequests.at(-1);
    assert.equal(
      received?.headers.authorization,
      `Basic ${Buffer.from(`ponder:${PASSWORD}`).toString('base64')}`,
    );
    const admins = await (await server.request('/api/admin/upstreams', { cookie: admin })).text();
    assert.ok(!admins.includes(PASSWORD) && !admins.includes('ponder:'), admins);
    assert.ok(!server.logs.some((l) => l.includes(PASSWORD)));
  });
});
