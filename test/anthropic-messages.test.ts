/**
 * The official `@anthropic-ai/sdk` against Ponder's Messages API, on the embedded engine with the generated
 * tiny model and through an upstream (Ponder B whose upstream pool points at Ponder A's `/v1`):
 * `messages.create`, `messages.stream` with thinking (event order, thinking then text), a tool round trip,
 * `countTokens`, and errors in Anthropic's shape. The model's text is noise; the protocol is checked.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { createUpstreamPool } from '../src/inference/upstream/pool.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';

type Event = Anthropic.MessageStreamEvent;

async function apiKeyFor(server: TestServer): Promise<string> {
  const { cookie } = await server.signup();
  const res = await server.request('/api/keys', { method: 'POST', cookie, json: { name: 'anthropic' } });
  assert.equal(res.status, 201);
  return ((await res.json()) as { key: string }).key;
}

/** Short thinking keeps each request quick on the tiny model. */
const thinking = { type: 'enabled', budget_tokens: 8 } as const;

const weatherTool: Anthropic.Tool = {
  name: 'get_weather',
  description: 'The weather forecast for a city.',
  input_schema: {
    type: 'object',
    properties: { city: { type: 'string', maxLength: 20 } },
    required: ['city'],
    additionalProperties: false,
  },
};

/** Checks the documented event grammar; returns the block types in order. */
function checkEventOrder(events: Event[]): string[] {
  assert.equal(events[0]?.type, 'message_start');
  assert.equal(events.at(-1)?.type, 'message_stop');
  assert.equal(events.at(-2)?.type, 'message_delta');
  const blocks: string[] = [];
  let open: number | null = null;
  let signed = false;
  for (const e of events.slice(1, -2)) {
    if (e.type === 'content_block_start') {
      assert.equal(open, null, 'a block starts only after the previous one stopped');
      assert.equal(e.index, blocks.length, 'blocks are numbered from 0');
      open = e.index;
      signed = false;
      blocks.push(e.content_block.type);
    } else if (e.type === 'content_block_delta') {
      assert.equal(e.index, open);
      const kind = blocks[e.index];
      const expected = {
        thinking: ['thinking_delta', 'signature_delta'],
        text: ['text_delta'],
        tool_use: ['input_json_delta'],
      }[kind as 'text'];
      assert.ok(expected?.includes(e.delta.type), `${e.delta.type} in a ${kind} block`);
      if (e.delta.type === 'signature_delta') signed = true;
    } else if (e.type === 'content_block_stop') {
      assert.equal(e.index, open);
      if (blocks[e.index] === 'thinking') assert.ok(signed, 'a thinking block ends with its signature');
      open = null;
    } else assert.fail(`unexpected ${e.type} between message_start and message_delta`);
  }
  assert.equal(open, null);
  return blocks;
}

function suite(
  name: string,
  start: () => Promise<{ client: Anthropic; baseUrl: string; key: string; close: () => Promise<void> }>,
) {
  describe(`Anthropic SDK → Ponder (${name})`, () => {
    let client: Anthropic;
    let baseUrl: string;
    let key: string;
    let close: () => Promise<void>;

    before(async () => {
      ({ client, baseUrl, key, close } = await start());
    });
    after(async () => {
      await close?.();
    });

    test('messages.create: a message with a signed thinking block, then text; usage', async () => {
      const msg = await client.messages.create({
        model: 'tiny',
        max_tokens: 24,
        system: [{ type: 'text', text: 'Answer briefly.', cache_control: { type: 'ephemeral' } }],
        messages: [{ role: 'user', content: 'Hello there' }],
        thinking,
        metadata: { user_id: 'user-42' },
      });
      assert.equal(msg.type, 'message');
      assert.equal(msg.role, 'assistant');
      assert.equal(msg.model, 'tiny');
      assert.match(msg.id, /^msg_/);
      assert.ok(msg._request_id, 'the request-id header Anthropic SDKs read');
      assert.ok(['end_turn', 'max_tokens'].includes(msg.stop_reason ?? ''), String(msg.stop_reason));
      const [first] = msg.content;
      assert.equal(first?.type, 'thinking');
      if (first?.type === 'thinking') assert.ok(first.thinking.length > 0 && first.signature.length > 0);
      assert.ok(msg.content.slice(1).every((b) => b.type === 'text'));
      assert.ok(msg.usage.input_tokens + (msg.usage.cache_read_input_tokens ?? 0) > 0);
      assert.ok(msg.usage.output_tokens > 0 && msg.usage.output_tokens <= 24);
    });

    test('thinking disabled: no thinking block', async () => {
      const msg = await client.messages.create({
        model: 'tiny',
        max_tokens: 8,
        messages: [{ role: 'user', content: 'Hi' }],
        thinking: { type: 'disabled' },
      });
      assert.ok(msg.content.every((b) => b.type === 'text'));
    });

    test('thinking display omitted: signed thinking blocks without their text, streamed or not', async () => {
      const params = {
        model: 'tiny',
        max_tokens: 16,
        messages: [{ role: 'user' as const, content: 'Hi' }],
        thinking: { ...thinking, display: 'omitted' as const },
      };
      const msg = await client.messages.create(params);
      const block = msg.content[0];
      assert.ok(block?.type === 'thinking', JSON.stringify(msg.content));
      assert.equal(block.thinking, '');
      assert.ok(block.signature.length > 0);
      const events: Event[] = [];
      for await (const event of client.messages.stream(params)) events.push(event);
      checkEventOrder(events);
      assert.ok(!events.some((e) => e.type === 'content_block_delta' && e.delta.type === 'thinking_delta'));
    });

    test('output_config.format: the answer is JSON matching the schema', async () => {
      const msg = await client.messages.create({
        model: 'tiny',
        max_tokens: 200,
        messages: [{ role: 'user', content: 'A city as JSON.' }],
        output_config: {
          format: {
            type: 'json_schema',
            schema: {
              type: 'object',
              properties: { city: { type: 'string', maxLength: 12 } },
              required: ['city'],
              additionalProperties: false,
            },
          },
        },
      });
      assert.equal(msg.stop_reason, 'end_turn');
      const text = msg.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
      const parsed = JSON.parse(text) as { city?: unknown };
      assert.equal(typeof parsed.city, 'string');
      assert.deepEqual(Object.keys(parsed), ['city']);
    });

    test('messages.stream with thinking: documented event order, thinking before text', async () => {
      const stream = client.messages.stream({
        model: 'tiny',
        max_tokens: 40,
        messages: [{ role: 'user', content: 'Tell me something' }],
        thinking,
      });
      const events: Event[] = [];
      for await (const event of stream) events.push(event);
      const blocks = checkEventOrder(events);
      assert.equal(blocks[0], 'thinking');
      assert.ok(
        blocks.slice(1).every((b) => b === 'text'),
        blocks.join(),
      );
      const final = await stream.finalMessage();
      assert.deepEqual(
        final.content.map((b) => b.type),
        blocks,
      );
      const delta = events.at(-2);
      assert.ok(delta?.type === 'message_delta');
      assert.ok(['end_turn', 'max_tokens'].includes(delta.delta.stop_reason ?? ''));
      assert.ok(delta.usage.output_tokens > 0);
      assert.equal(final.usage.output_tokens, delta.usage.output_tokens);
    });

    test('tool round trip: tool_use streamed as input_json_delta → tool_result → an answer', async () => {
      const stream = client.messages.stream({
        model: 'tiny',
        max_tokens: 120,
        messages: [{ role: 'user', content: 'Weather in Lyon?' }],
        tools: [weatherTool],
        tool_choice: { type: 'tool', name: 'get_weather', disable_parallel_tool_use: true },
        thinking,
      });
      const events: Event[] = [];
      for await (const event of stream) events.push(event);
      const blocks = checkEventOrder(events);
      assert.equal(blocks.at(-1), 'tool_use');
      assert.ok(events.some((e) => e.type === 'content_block_delta' && e.delta.type === 'input_json_delta'));
      const called = await stream.finalMessage();
      assert.equal(called.stop_reason, 'tool_use');
      const use = called.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
      assert.ok(use, JSON.stringify(called.content));
      assert.equal(use.name, 'get_weather');
      assert.equal(typeof (use.input as { city?: unknown }).city, 'string');

      // The whole assistant turn goes back, thinking (with its signature) included, then the result.
      const answer = await client.messages.create({
        model: 'tiny',
        max_tokens: 24,
        messages: [
          { role: 'user', content: 'Weather in Lyon?' },
          { role: 'assistant', content: called.content },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: use.id, content: [{ type: 'text', text: '21°C, sunny' }] },
            ],
          },
        ],
        tools: [weatherTool],
        tool_choice: { type: 'none' },
        thinking,
      });
      assert.ok(['end_turn', 'max_tokens'].includes(answer.stop_reason ?? ''), String(answer.stop_reason));
      assert.ok(answer.content.every((b) => b.type !== 'tool_use'));
    });

    test('stop_sequences: the answer stops before the first match, which the message names', async () => {
      const stops = ['e', 'a', 'o', ' '];
      for (const stream of [false, true]) {
        const params = {
          model: 'tiny',
          max_tokens: 40,
          messages: [{ role: 'user' as const, content: 'Write a sentence.' }],
          stop_sequences: stops,
        };
        const msg = stream
          ? await client.messages.stream(params).finalMessage()
          : await client.messages.create(params);
        const text = msg.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
        assert.ok(!stops.some((s) => text.includes(s)), JSON.stringify(text));
        if (msg.stop_reason === 'stop_sequence') assert.ok(stops.includes(msg.stop_sequence ?? ''));
        else assert.equal(msg.stop_reason, 'max_tokens');
        // The generation stopped at the match still reports what it used.
        assert.ok(msg.usage.output_tokens > 0, `${msg.stop_reason}: ${JSON.stringify(msg.usage)}`);
      }
    });

    test('models.list and models.retrieve in Anthropic shape', async () => {
      const page = await client.models.list({ limit: 5 });
      const tiny = page.data.find((m) => m.id === 'tiny');
      assert.ok(tiny, JSON.stringify(page.data));
      assert.equal(tiny.type, 'model');
      assert.ok(!Number.isNaN(Date.parse(tiny.created_at)));
      assert.equal((await client.models.retrieve('tiny')).id, 'tiny');
      await assert.rejects(client.models.retrieve('nope'), (err: unknown) => {
        assert.ok(err instanceof Anthropic.NotFoundError, String(err));
        assert.equal((err.error as { error: { type: string } }).error.type, 'not_found_error');
        return true;
      });
    });

    test('top_k: 1 samples the likeliest token only, so the same request gives the same answer', async () => {
      const greedy = async () => {
        const res = await fetch(`${baseUrl}/v1/messages`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-api-key': key,
            'anthropic-version': '2023-06-01',
          },
          body: JSON.stringify({
            model: 'tiny',
            max_tokens: 12,
            top_k: 1,
            temperature: 1,
            messages: [{ role: 'user', content: 'Pick a word.' }],
          }),
        });
        assert.equal(res.status, 200);
        const msg = (await res.json()) as Anthropic.Message;
        return msg.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
      };
      const first = await greedy();
      assert.ok(first.length > 0);
      assert.equal(await greedy(), first);
    });

    test('countTokens: the input tokens the same request reports in its usage', async () => {
      const params = {
        model: 'tiny',
        system: 'You are terse.',
        messages: [{ role: 'user' as const, content: 'Count the tokens of this question, please.' }],
        thinking,
      };
      const counted = await client.messages.countTokens(params);
      assert.ok(counted.input_tokens > 10, JSON.stringify(counted));
      const longer = await client.messages.countTokens({
        ...params,
        messages: [
          { role: 'user', content: 'Count the tokens of this much longer question, please, all of them.' },
        ],
      });
      assert.ok(longer.input_tokens > counted.input_tokens);
      const msg = await client.messages.create({ ...params, max_tokens: 12 });
      assert.equal(msg.usage.input_tokens + (msg.usage.cache_read_input_tokens ?? 0), counted.input_tokens);
    });

    test("errors in Anthropic's shape: bad key, unknown model, missing max_tokens, unsupported params", async () => {
      const bad = new Anthropic({ baseURL: baseUrl, apiKey: 'sk-wrong', maxRetries: 0 });
      const base = { model: 'tiny', max_tokens: 4, messages: [{ role: 'user' as const, content: 'hi' }] };
      await assert.rejects(bad.messages.create(base), (err: unknown) => {
        assert.ok(err instanceof Anthropic.AuthenticationError, String(err));
        assert.equal((err.error as { error: { type: string } }).error.type, 'authentication_error');
        return true;
      });
      await assert.rejects(client.messages.create({ ...base, model: 'no-such-model' }), (err: unknown) => {
        assert.ok(err instanceof Anthropic.NotFoundError, String(err));
        assert.equal((err.error as { type: string }).type, 'error');
        assert.equal((err.error as { error: { type: string } }).error.type, 'not_found_error');
        return true;
      });
      const rejects400 = async (body: object, pattern: RegExp) =>
        assert.rejects(
          client.messages.create(body as Anthropic.MessageCreateParamsNonStreaming),
          (err: unknown) => {
            assert.ok(err instanceof Anthropic.BadRequestError, String(err));
            const e = (err.error as { error: { type: string; message: string } }).error;
            assert.equal(e.type, 'invalid_request_error');
            assert.match(e.message, pattern);
            return true;
          },
        );
      const { max_tokens: _, ...noMax } = base;
      await rejects400(noMax, /max_tokens: Field required/);
      await rejects400({ ...base, top_k: 5 }, /top_k/);
      await rejects400({ ...base, max_tokens: 'many' }, /max_tokens/);
      await rejects400({ ...base, made_up: true }, /made_up/);
      await rejects400(
        { ...base, tools: [{ type: 'web_search_20250305', name: 'web_search' }] },
        /web_search_20250305/,
      );
      await rejects400(
        {
          ...base,
          messages: [
            {
              role: 'user',
              content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AA' } }],
            },
          ],
        },
        /image/,
      );
      await rejects400({ ...base, thinking: { type: 'enabled', budget_tokens: 10 } }, /budget_tokens/);

      // The headers Anthropic requires, checked as it does.
      const raw = (headers: Record<string, string>, body: object = base) =>
        fetch(`${baseUrl}/v1/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': key, ...headers },
          body: JSON.stringify(body),
        });
      // Version 2023-06-01 still has the sampling parameters; 2026-10-21 has none.
      const old = { 'anthropic-version': '2023-06-01' };
      assert.equal((await raw(old, { ...base, temperature: 0.2, top_p: 0.9, top_k: 5 })).status, 200);
      assert.equal((await raw(old, { ...base, top_k: 0 })).status, 400);
      const removed = await raw({ 'anthropic-version': '2026-10-21' }, { ...base, temperature: 1 });
      assert.match(
        ((await removed.json()) as { error: { message: string } }).error.message,
        /^temperature: /,
      );
      const noVersion = await raw({});
      assert.equal(noVersion.status, 400);
      assert.deepEqual(
        ((await noVersion.json()) as { error: { type: string } }).error.type,
        'invalid_request_error',
      );
      assert.equal((await raw({ 'anthropic-version': '1999-01-01' })).status, 400);
      const beta = await raw({ 'anthropic-version': '2023-06-01', 'anthropic-beta': 'made-up-2099-01-01' });
      assert.equal(beta.status, 200);
      assert.equal(beta.headers.get('x-ponder-betas-not-applied'), 'made-up-2099-01-01');
    });
  });
}

suite('embedded engine', async () => {
  const server = await startTestServer({ withModel: true });
  const key = await apiKeyFor(server);
  return {
    client: new Anthropic({ baseURL: server.baseUrl, apiKey: key, maxRetries: 0 }),
    baseUrl: server.baseUrl,
    key,
    close: () => server.close(),
  };
});

suite('through an upstream: Ponder B → Ponder A', async () => {
  const a = await startTestServer({ withModel: true });
  const pool = createUpstreamPool(
    [{ id: 'ponder-a', baseUrl: `${a.baseUrl}/v1`, apiKey: await apiKeyFor(a), reasoningFormat: 'auto' }],
    { healthCheckIntervalMs: 0 },
  );
  const b = await startTestServer({
    deps: { providers: [pool], upstreamPools: [pool], defaultModel: 'tiny' },
  });
  const key = await apiKeyFor(b);
  return {
    // Bearer works as well as x-api-key (`authToken` sends `Authorization: Bearer`).
    client: new Anthropic({ baseURL: b.baseUrl, apiKey: null, authToken: key, maxRetries: 0 }),
    baseUrl: b.baseUrl,
    key,
    close: async () => {
      await b.close();
      await a.close();
    },
  };
});
