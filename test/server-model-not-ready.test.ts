/**
 * Before a model is ready: 503 `model_not_ready` names the model's state, so the web app can word it;
 * Retry-After only while waiting can help (a download or a load), and `x-should-retry: false` when it
 * cannot (no model at all), so SDKs do not retry in vain. On the web API and on `/v1`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { startTestServer, type TestServer } from '../src/server/testing.ts';
import { countingOpenAiClient } from './openai-counting.ts';

async function refusedSend(server: TestServer, cookie: string): Promise<Response> {
  const created = await server.request('/api/conversations', { method: 'POST', cookie, json: {} });
  assert.equal(created.status, 201);
  const { id } = (await created.json()) as { id: string };
  return server.request(`/api/conversations/${id}/messages`, {
    method: 'POST',
    cookie,
    json: { content: 'hi' },
  });
}

describe('no model at all', () => {
  let server: TestServer;
  let cookie: string;
  before(async () => {
    server = await startTestServer();
    cookie = (await server.signup()).cookie;
  });
  after(async () => {
    await server?.close();
  });

  test('web send: 503 with state missing, no Retry-After, x-should-retry false', async () => {
    const res = await refusedSend(server, cookie);
    assert.equal(res.status, 503);
    const { error } = (await res.json()) as { error: { code: string; details?: { state?: string } } };
    assert.equal(error.code, 'model_not_ready');
    assert.equal(error.details?.state, 'missing');
    assert.equal(res.headers.get('retry-after'), null);
    assert.equal(res.headers.get('x-should-retry'), 'false');
  });

  test('/v1: the openai client raises at once instead of retrying', async () => {
    const keyRes = await server.request('/api/keys', { method: 'POST', cookie, json: { name: 'k' } });
    const { key } = (await keyRes.json()) as { key: string };
    const { client, requests } = countingOpenAiClient(server.baseUrl, key);
    await assert.rejects(
      client.chat.completions.create({ model: 'anything', messages: [{ role: 'user', content: 'hi' }] }),
      (err: unknown) => err instanceof OpenAI.APIError && err.status !== undefined,
    );
    assert.equal(requests(), 1);
  });
});

describe('a model still downloading', () => {
  let server: TestServer;
  let cookie: string;
  before(async () => {
    server = await startTestServer({
      deps: { modelStatus: () => ({ state: 'downloading', model: 'big-model', downloadProgress: 0.4 }) },
    });
    cookie = (await server.signup()).cookie;
  });
  after(async () => {
    await server?.close();
  });

  test('is listed with its progress, and a send says downloading with Retry-After', async () => {
    const list = (await (await server.request('/api/models', { cookie })).json()) as {
      models: Array<{ id: string; state: string; downloadProgress?: number }>;
    };
    assert.deepEqual(
      list.models.map((m) => [m.id, m.state, m.downloadProgress]),
      [['big-model', 'downloading', 0.4]],
    );
    const res = await refusedSend(server, cookie);
    assert.equal(res.status, 503);
    const { error } = (await res.json()) as { error: { code: string; details?: { state?: string } } };
    assert.equal(error.details?.state, 'downloading');
    assert.ok(Number(res.headers.get('retry-after')) > 0);
    assert.equal(res.headers.get('x-should-retry'), null);
  });
});
