/**
 * `POST /v1/embeddings` with the official `openai` client against a running Ponder whose embedded engine
 * serves the generated `embed-tiny` embedding model (random weights: vectors are noise, but identity,
 * shapes, encodings, refusals, statuses, auth and metering are real).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI, { APIError } from 'openai';
import { DEFAULT_PLANS } from '../src/config/schema.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';

const cosine = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i]!, 0);

describe('/v1/embeddings (openai client, embedded engine)', () => {
  let server: TestServer;
  let client: OpenAI;
  let key: string;
  let userId: string;

  before(async () => {
    server = await startTestServer({ withModel: true, withEmbeddingModel: true, capacity: true });
    const signed = await server.signup();
    userId = signed.user.id;
    const res = await server.request('/api/keys', {
      method: 'POST',
      cookie: signed.cookie,
      json: { name: 'embeddings' },
    });
    assert.equal(res.status, 201);
    key = ((await res.json()) as { key: string }).key;
    client = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: key, maxRetries: 0, timeout: 60_000 });
  });
  after(async () => {
    await server?.close();
  });

  test('float vectors: one per input, in order, unit length; identical text, identical vector', async () => {
    const since = new Date(Date.now() - 1000);
    const r = await client.embeddings.create({
      model: 'embed-tiny',
      input: ['the cat sat on the mat', 'quarterly revenue grew', 'the cat sat on the mat'],
      encoding_format: 'float',
    });
    assert.equal(r.object, 'list');
    assert.equal(r.model, 'embed-tiny');
    assert.deepEqual(
      r.data.map((d) => [d.object, d.index]),
      [
        ['embedding', 0],
        ['embedding', 1],
        ['embedding', 2],
      ],
    );
    const [a, b, c] = r.data.map((d) => d.embedding);
    assert.equal(a!.length, 128);
    assert.ok(Math.abs(cosine(a!, a!) - 1) < 1e-4);
    assert.deepEqual(a, c);
    assert.ok(cosine(a!, b!) < 0.999);
    assert.ok(r.usage.prompt_tokens > 0);
    assert.equal(r.usage.total_tokens, r.usage.prompt_tokens);
    // The tokens are metered like chat tokens (the plan's daily quota counts them).
    const totals = await server.store.usage.totals(userId, since);
    assert.ok(totals.tokens >= r.usage.prompt_tokens, JSON.stringify(totals));
  });

  test('base64 (the client default) decodes to the same floats; a single string input works', async () => {
    const asFloat = await client.embeddings.create({
      model: 'embed-tiny',
      input: 'hello world',
      encoding_format: 'float',
    });
    // The SDK asks for base64 when no format is given and decodes it itself.
    const decoded = await client.embeddings.create({ model: 'embed-tiny', input: 'hello world' });
    assert.equal(decoded.data.length, 1);
    assert.deepEqual(
      decoded.data[0]!.embedding.map((v) => Math.fround(v)),
      asFloat.data[0]!.embedding.map((v) => Math.fround(v)),
    );
    const raw = await server.request('/v1/embeddings', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
      json: { model: 'embed-tiny', input: 'hello world', encoding_format: 'base64' },
    });
    const body = (await raw.json()) as { data: Array<{ embedding: string }> };
    const bytes = Buffer.from(body.data[0]!.embedding, 'base64');
    assert.equal(bytes.length, 128 * 4);
    assert.ok(Math.abs(bytes.readFloatLE(0) - asFloat.data[0]!.embedding[0]!) < 1e-6);
  });

  test('model omitted: the default embedding model; dimensions refused on a fixed-size model', async () => {
    const raw = await server.request('/v1/embeddings', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
      json: { input: ['x'], user: 'end-user-42' },
    });
    assert.equal(raw.status, 200);
    assert.equal(((await raw.json()) as { model: string }).model, 'embed-tiny');
    await assert.rejects(
      client.embeddings.create({ model: 'embed-tiny', input: 'x', dimensions: 32 }),
      (err: unknown) => err instanceof APIError && err.status === 400 && /dimensions/.test(err.message),
    );
  });

  test('refusals in OpenAI shape: unknown model 404, chat model 400, token arrays 400, unknown field 400', async () => {
    await assert.rejects(
      client.embeddings.create({ model: 'no-such-model', input: 'x' }),
      (err: unknown) => err instanceof APIError && err.status === 404 && err.code === 'model_not_found',
    );
    await assert.rejects(
      client.embeddings.create({ model: 'tiny', input: 'x' }),
      (err: unknown) => err instanceof APIError && err.status === 400 && /chat model/.test(err.message),
    );
    await assert.rejects(
      client.chat.completions.create({ model: 'embed-tiny', messages: [{ role: 'user', content: 'hi' }] }),
      (err: unknown) => err instanceof APIError && err.status === 400 && /embedding model/.test(err.message),
    );
    await assert.rejects(
      client.embeddings.create({ model: 'embed-tiny', input: [[1, 2, 3]] }),
      (err: unknown) =>
        err instanceof APIError &&
        err.status === 400 &&
        (err.param === 'input' || /Token arrays/.test(err.message)),
    );
    for (const [json, param] of [
      [{ model: 'embed-tiny', input: 'x', temperature: 1 }, 'temperature'],
      [{ model: 'embed-tiny', input: [] }, 'input'],
      [{ model: 'embed-tiny', input: 'x', encoding_format: 'int8' }, 'encoding_format'],
      [{ model: 'embed-tiny', input: 'x', dimensions: 0 }, 'dimensions'],
    ] as const) {
      const res = await server.request('/v1/embeddings', {
        method: 'POST',
        headers: { authorization: `Bearer ${key}` },
        json,
      });
      assert.equal(res.status, 400, JSON.stringify(json));
      const err = ((await res.json()) as { error: { type: string; param: string | null } }).error;
      assert.equal(err.type, 'invalid_request_error');
      assert.equal(err.param, param);
    }
    const long = await server.request('/v1/embeddings', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
      json: { model: 'embed-tiny', input: ['short', 'word '.repeat(3000)] },
    });
    assert.equal(long.status, 400);
    assert.match(((await long.json()) as { error: { message: string } }).error.message, /Input 1 has/);
  });

  test('bad key 401; key in the URL 401', async () => {
    const bad = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: 'pk-nope', maxRetries: 0 });
    await assert.rejects(
      bad.embeddings.create({ model: 'embed-tiny', input: 'x' }),
      (err: unknown) => err instanceof APIError && err.status === 401,
    );
    const res = await server.request(`/v1/embeddings?api_key=${key}`, {
      method: 'POST',
      json: { input: 'x' },
    });
    assert.equal(res.status, 401);
  });

  test('the web API model list (the chat picker) leaves embedding models out', async () => {
    const { cookie } = await server.signup();
    const res = await server.request('/api/models', { cookie });
    const body = (await res.json()) as { models: Array<{ id: string }>; defaultModel: string };
    assert.deepEqual(
      body.models.map((m) => m.id),
      ['tiny'],
    );
    assert.equal(body.defaultModel, 'tiny');
  });

  test('/v1/models lists the embedding model as such', async () => {
    const page = await client.models.list();
    const m = page.data.find((x) => x.id === 'embed-tiny') as unknown as Record<string, unknown>;
    assert.equal(m.kind, 'embedding');
    assert.equal(m.dimensions, 128);
  });
});

/** Signs a new user up on `server`; an `openai` client with an API key of theirs. */
async function newUserClient(server: TestServer): Promise<OpenAI> {
  const { cookie } = await server.signup();
  const res = await server.request('/api/keys', { method: 'POST', cookie, json: { name: 'k' } });
  const { key } = (await res.json()) as { key: string };
  return new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: key, maxRetries: 0, timeout: 60_000 });
}

describe('/v1/embeddings under the daily token quota of a plan', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      withEmbeddingModel: true,
      capacity: true,
      config: { plans: { free: { ...DEFAULT_PLANS.free, tokensPerDay: 20 } } },
    });
  });
  after(async () => {
    await server?.close();
  });

  test('embedding tokens count: past the quota the next request is 429 insufficient_quota', async () => {
    const client = await newUserClient(server);
    const first = await client.embeddings.create({
      model: 'embed-tiny',
      input:
        'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty twenty-one',
    });
    assert.ok(first.usage.prompt_tokens >= 20);
    await assert.rejects(
      client.embeddings.create({ model: 'embed-tiny', input: 'again' }),
      (err: unknown) => err instanceof APIError && err.status === 429 && err.code === 'insufficient_quota',
    );
  });
});

describe('/v1/embeddings with dimensions (a Matryoshka-configured model)', () => {
  let server: TestServer;
  before(async () => {
    const { ensureTestModel } = await import('../src/inference/gguf/test-model.ts');
    const { createEmbeddedProvider } = await import('../src/inference/llama/index.ts');
    const provider = createEmbeddedProvider({
      models: { mrl: await ensureTestModel('embed-tiny') },
      embeddingModels: { mrl: { matryoshka: true } },
      slots: 1,
      contextSize: 512,
      threads: 1,
    });
    server = await startTestServer({ deps: { providers: [provider], engine: provider } });
    const close = server.close.bind(server);
    server.close = async () => {
      await close();
      await provider[Symbol.asyncDispose]();
    };
  });
  after(async () => {
    await server?.close();
  });

  test('dimensions shortens and renormalises the vectors', async () => {
    const client = await newUserClient(server);
    const r = await client.embeddings.create({ model: 'mrl', input: ['a', 'b'], dimensions: 32 });
    assert.equal(r.data.length, 2);
    for (const d of r.data) {
      assert.equal(d.embedding.length, 32);
      assert.ok(Math.abs(cosine(d.embedding, d.embedding) - 1) < 1e-4);
    }
  });
});
