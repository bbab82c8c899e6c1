/**
 * Compatibility suite: the official `openai` npm client against a running Ponder (embedded engine on a
 * generated model). Random weights produce noise, so this checks shapes, order and statuses, not words.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI, { APIError } from 'openai';
import { startTestServer, type TestServer } from '../src/server/testing.ts';

type ReasoningDelta = { content?: string | null; reasoning_content?: string; reasoning?: string };

describe('OpenAI compatibility (/v1)', () => {
  let server: TestServer;
  let key: string;
  let keyId: string;
  let userId: string;
  let client: OpenAI;
  let cookie: string;

  before(async () => {
    server = await startTestServer({ withModel: true });
    const signed = await server.signup();
    cookie = signed.cookie;
    userId = signed.user.id;
    const res = await server.request('/api/keys', { method: 'POST', cookie, json: { name: 'compat' } });
    assert.equal(res.status, 201);
    const created = (await res.json()) as { id: string; key: string };
    key = created.key;
    keyId = created.id;
    client = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: key, maxRetries: 0, timeout: 60_000 });
  });
  after(async () => {
    await server?.close();
  });

  test('lists models', async () => {
    const page = await client.models.list();
    assert.ok(page.data.some((m) => m.id === 'tiny'));
    assert.equal(page.data[0]?.object, 'model');
  });

  test('non-streaming completion carries reasoning and usage', async () => {
    const completion = await client.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: 'hello' }],
      max_tokens: 12,
      seed: 7,
    });
    assert.equal(completion.object, 'chat.completion');
    const choice = completion.choices[0];
    assert.ok(choice);
    assert.ok(['stop', 'length'].includes(choice.finish_reason));
    const message = choice.message as typeof choice.message & {
      reasoning_content?: string;
      reasoning?: string;
    };
    assert.equal(typeof message.content, 'string');
    assert.ok((message.reasoning_content ?? '').length > 0, 'reasoning_content present');
    assert.equal(message.reasoning, message.reasoning_content);
    const usage = completion.usage as OpenAI.CompletionUsage & Record<string, unknown>;
    assert.ok(usage.completion_tokens > 0 && usage.completion_tokens <= 12);
    assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
    assert.equal(typeof usage.completion_tokens_details?.reasoning_tokens, 'number');
    assert.equal(typeof usage.prompt_tokens_details?.cached_tokens, 'number');
    assert.equal(typeof usage.prompt_cache_hit_tokens, 'number');
    assert.equal(typeof usage.prompt_cache_miss_tokens, 'number');
  });

  test('streaming: reasoning_content deltas come before content, then usage and [DONE]', async () => {
    const stream = await client.chat.completions.create({
      model: 'tiny',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hi' },
      ],
      stream: true,
      stream_options: { include_usage: true },
      max_completion_tokens: 24,
      // DeepSeek's shape: at most 4 reasoning tokens, then the answer.
      thinking: { type: 'enabled', budget_tokens: 4 },
    } as OpenAI.ChatCompletionCreateParamsStreaming);
    const order: string[] = [];
    let usage: OpenAI.CompletionUsage | undefined;
    let finish: string | null = null;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (!choice) continue;
      const delta = choice.delta as ReasoningDelta;
      if (delta.reasoning_content) {
        assert.equal(delta.reasoning, delta.reasoning_content);
        order.push('reasoning');
      }
      if (delta.content) order.push('content');
      if (choice.finish_reason) finish = choice.finish_reason;
    }
    assert.ok(order.includes('reasoning'), 'got reasoning deltas');
    assert.ok(order.includes('content'), 'got content deltas after the budget');
    assert.ok(order.indexOf('content') > order.lastIndexOf('reasoning'), 'reasoning before content');
    assert.ok(finish === 'stop' || finish === 'length');
    assert.ok(usage && usage.completion_tokens > 0);
    const details = usage.completion_tokens_details;
    assert.ok(details && (details.reasoning_tokens ?? 0) <= 4);
  });

  test('thinking off (reasoning_effort none / thinking disabled) gives no reasoning', async () => {
    for (const extra of [{ thinking: { type: 'disabled' } }, { reasoning_effort: 'none' }]) {
      const completion = await client.chat.completions.create({
        model: 'tiny',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 8,
        ...extra,
      } as OpenAI.ChatCompletionCreateParamsNonStreaming);
      const message = completion.choices[0]?.message as { reasoning_content?: string | null };
      assert.ok(!message.reasoning_content, JSON.stringify(extra));
    }
  });

  test('reasoning sent back in input messages is accepted and stripped', async () => {
    const completion = await client.chat.completions.create({
      model: 'tiny',
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello', reasoning_content: 'secret chain', reasoning: 'secret chain' },
        { role: 'user', content: [{ type: 'text', text: 'and now?' }] },
      ] as OpenAI.ChatCompletionMessageParam[],
      max_tokens: 4,
    });
    assert.ok(completion.choices[0]);
  });

  test('x-api-key works like Bearer', async () => {
    const res = await fetch(`${server.baseUrl}/v1/models`, { headers: { 'x-api-key': key } });
    assert.equal(res.status, 200);
  });

  test('usage goes to the ledger with the key', async () => {
    const totals = await server.store.usage.totals(userId, new Date(0));
    assert.ok(totals.tokens > 0);
    assert.ok(totals.reasoningMessages > 0);
    void keyId;
  });

  async function expectApiError(promise: Promise<unknown>, status: number, code?: string): Promise<void> {
    await assert.rejects(promise, (err: unknown) => {
      assert.ok(err instanceof APIError, `expected APIError, got ${String(err)}`);
      assert.equal(err.status, status);
      if (code) assert.equal(err.code, code);
      return true;
    });
  }

  test('every error surfaces as the SDK APIError with the right status', async () => {
    const base = { model: 'tiny', messages: [{ role: 'user' as const, content: 'hi' }] };
    const create = (body: object) => client.chat.completions.create({ ...base, ...body } as never);
    await expectApiError(create({ messages: [] }), 400);
    await expectApiError(create({ messages: 'hi' }), 400);
    await expectApiError(create({ messages: [{ role: 'wizard', content: 'x' }] }), 400);
    await expectApiError(
      create({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] }),
      400,
    );
    await expectApiError(create({ max_tokens: 0 }), 400);
    await expectApiError(create({ max_tokens: -5 }), 400);
    await expectApiError(create({ max_tokens: 10_000_000 }), 400);
    await expectApiError(create({ temperature: 5 }), 400);
    await expectApiError(create({ stream: 'yes' }), 400);
    await expectApiError(create({ model: 'no-such-model' }), 404, 'model_not_found');

    const wrongKey = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: 'pk-wrong', maxRetries: 0 });
    await expectApiError(wrongKey.models.list(), 401);
    const malformed = new OpenAI({
      baseURL: `${server.baseUrl}/v1`,
      apiKey: 'not a key at all',
      maxRetries: 0,
    });
    await expectApiError(malformed.chat.completions.create(base), 401);
  });

  test('parameters Ponder does not implement are a 400 naming them, never ignored', async () => {
    const base = { model: 'tiny', messages: [{ role: 'user' as const, content: 'hi' }] };
    const cases: Array<[string, object]> = [
      ['functions', { functions: [{ name: 'get_weather', parameters: { type: 'object' } }] }],
      ['logprobs', { logprobs: true }],
      ['frequency_penalty', { frequency_penalty: 1 }],
      ['made_up', { made_up: true }],
    ];
    for (const [param, body] of cases) {
      await assert.rejects(
        client.chat.completions.create({ ...base, ...body } as never),
        (err: unknown) => err instanceof OpenAI.BadRequestError && err.param === param,
        param,
      );
    }
    // What clients send by default changes nothing and is accepted.
    const ok = await client.chat.completions.create({
      ...base,
      max_tokens: 4,
      frequency_penalty: 0,
      presence_penalty: 0,
      logprobs: false,
      response_format: { type: 'text' },
      reasoning_effort: 'low',
    });
    assert.equal(ok.object, 'chat.completion');
  });

  test('continue_final_message continues the last assistant message on the engine', async () => {
    const res = await client.chat.completions.create({
      model: 'tiny',
      messages: [
        { role: 'user', content: 'Count to ten.' },
        { role: 'assistant', content: 'One, two, three,' },
      ],
      max_tokens: 8,
      thinking: { type: 'disabled' },
      continue_final_message: true,
      add_generation_prompt: false,
    } as never);
    assert.equal(res.choices[0]?.message.role, 'assistant');
    assert.ok((res.usage?.completion_tokens ?? 0) > 0);
    await assert.rejects(
      client.chat.completions.create({
        model: 'tiny',
        messages: [
          { role: 'user', content: 'Count to ten.' },
          { role: 'assistant', content: 'One, two, three,' },
        ],
      }),
      (err: unknown) => err instanceof OpenAI.BadRequestError && err.param === 'messages[1].role',
    );
  });

  test('raw HTTP: invalid JSON, a 5 MB body, a missing key, a key in the query string', async () => {
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${server.baseUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
        body,
      });
    const badJson = await post('{"model": "tiny", "messages": [');
    assert.equal(badJson.status, 400);
    const shape = (await badJson.json()) as { error: { message: string; type: string } };
    assert.equal(shape.error.type, 'invalid_request_error');

    const huge = await post(
      JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content: 'x'.repeat(5_000_000) }] }),
    );
    assert.equal(huge.status, 413);

    const noKey = await fetch(`${server.baseUrl}/v1/models`);
    assert.equal(noKey.status, 401);
    assert.equal(((await noKey.json()) as { error: { type: string } }).error.type, 'authentication_error');

    const inQuery = await fetch(`${server.baseUrl}/v1/models?api_key=${key}`);
    assert.equal(inQuery.status, 401);
    assert.ok(!server.logs.some((line) => line.includes(key)), 'the key never reaches the logs');
  });

  test('a revoked key is refused', async () => {
    const res = await server.request('/api/keys', { method: 'POST', cookie, json: { name: 'temp' } });
    const temp = (await res.json()) as { id: string; key: string };
    const tempClient = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: temp.key, maxRetries: 0 });
    await tempClient.models.list();
    const del = await server.request(`/api/keys/${temp.id}`, { method: 'DELETE', cookie });
    assert.equal(del.status, 204);
    await expectApiError(tempClient.models.list(), 401);
  });

  test('a client that disconnects cancels its generation and frees its slot', async () => {
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'tiny', messages: [{ role: 'user', content: 'go on' }], stream: true, max_tokens: 900 },
      { signal: controller.signal },
    );
    let seen = 0;
    // The SDK ends the iteration quietly (or with an abort error) once its signal fires.
    try {
      for await (const _ of stream) {
        if (++seen === 3) controller.abort();
      }
    } catch (err) {
      assert.match(String(err), /abort/i);
    }
    assert.ok(seen >= 3, 'the stream had started');
    const provider = server.provider;
    assert.ok(provider);
    let busy = -1;
    for (let i = 0; i < 100; i++) {
      busy = (await provider.health()).slotsBusy ?? 0;
      if (busy === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(busy, 0, 'the slot is free again');
  });
});
