/**
 * Tool calls and structured output through `/v1/chat/completions` with the official `openai` client,
 * on the embedded engine with the generated tiny model: its words are noise, but forced calls and
 * formatted answers are generated under a grammar, so they must come back parseable and schema-valid.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI, { BadRequestError } from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { startTestServer, type TestServer } from '../src/server/testing.ts';

const Weather = z.object({
  city: z.string().max(24),
  days: z.number().int(),
  unit: z.enum(['celsius', 'fahrenheit']),
  hourly: z.boolean(),
  tags: z.array(z.string().max(10)).max(2),
});
const weatherTool: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The forecast for a city',
    parameters: z.toJSONSchema(Weather) as Record<string, unknown>,
  },
};
const clockTool: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_time', parameters: { type: 'object', properties: {} } },
};
/** Short reasoning so each request is quick on the tiny model. */
const brief = { thinking: { type: 'enabled', budget_tokens: 8 } } as Record<string, unknown>;

describe('tools and structured output with the openai client', () => {
  let server: TestServer;
  let client: OpenAI;

  before(async () => {
    server = await startTestServer({ withModel: true });
    const { cookie } = await server.signup();
    const res = await server.request('/api/keys', { method: 'POST', cookie, json: { name: 'tools' } });
    const { key } = (await res.json()) as { key: string };
    client = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: key, maxRetries: 0, timeout: 60_000 });
  });
  after(async () => {
    await server?.close();
  });

  test('GET /v1/models/{id} tells the model and its tool support', async () => {
    const model = (await client.models.retrieve('tiny')) as OpenAI.Model & Record<string, unknown>;
    assert.equal(model.id, 'tiny');
    assert.equal(model.object, 'model');
    await assert.rejects(
      client.models.retrieve('no-such-model'),
      (err: Error & { status?: number }) => err.status === 404,
    );
  });

  test('a tools round trip: a required call, its result sent back, then an answer', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Lyon?' }];
    const first = await client.chat.completions.create({
      model: 'tiny',
      messages,
      tools: [weatherTool, clockTool],
      tool_choice: 'required',
      max_tokens: 200,
      seed: 4,
      ...brief,
    });
    const choice = first.choices[0];
    assert.equal(choice?.finish_reason, 'tool_calls');
    const call = choice?.message.tool_calls?.[0];
    assert.ok(call && call.type === 'function', JSON.stringify(choice?.message));
    assert.match(call.id, /^call_/);
    assert.ok(['get_weather', 'get_time'].includes(call.function.name));
    const args: unknown = JSON.parse(call.function.arguments);
    if (call.function.name === 'get_weather') Weather.parse(args);
    else assert.deepEqual(args, {});
    const reasoning = (choice.message as { reasoning_content?: string }).reasoning_content;
    assert.ok((reasoning ?? '').length > 0, 'the call came after reasoning');

    messages.push({ ...choice.message, reasoning_content: reasoning } as OpenAI.ChatCompletionMessageParam, {
      role: 'tool',
      tool_call_id: call.id,
      content: JSON.stringify({ forecast: 'sunny', high: 21 }),
    });
    const second = await client.chat.completions.create({
      model: 'tiny',
      messages,
      tools: [weatherTool, clockTool],
      max_tokens: 16,
      seed: 4,
    });
    assert.ok(['stop', 'length', 'tool_calls'].includes(second.choices[0]?.finish_reason ?? ''));
    // The conversation up to the call stayed in the engine's slot.
    assert.ok((second.usage?.prompt_tokens_details?.cached_tokens ?? 0) > 0);
  });

  test('streamed tool calls arrive as delta.tool_calls fragments with index, id and name first', async () => {
    const stream = await client.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: 'Weather?' }],
      tools: [weatherTool],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      max_tokens: 200,
      stream: true,
      seed: 5,
      ...brief,
    });
    let args = '';
    let id: string | undefined;
    let name: string | undefined;
    let fragments = 0;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      for (const delta of choice?.delta.tool_calls ?? []) {
        assert.equal(delta.index, 0);
        if (fragments === 0) {
          id = delta.id;
          name = delta.function?.name;
        } else assert.equal(delta.id, undefined, 'the id comes once');
        args += delta.function?.arguments ?? '';
        fragments++;
      }
      if (choice?.finish_reason) finish = choice.finish_reason;
    }
    assert.equal(finish, 'tool_calls');
    assert.match(id ?? '', /^call_/);
    assert.equal(name, 'get_weather');
    assert.ok(fragments > 2, `arguments streamed in ${fragments} fragments`);
    Weather.parse(JSON.parse(args));
  });

  test('the runTools helper runs a round trip against Ponder', async () => {
    let ran = 0;
    const runner = client.chat.completions.runTools({
      model: 'tiny',
      messages: [{ role: 'user', content: 'What time is it?' }],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_time',
            parameters: { type: 'object', properties: {} },
            function: () => {
              ran++;
              return '10:42';
            },
          },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'get_time' } },
      max_tokens: 64,
      seed: 3,
      ...brief,
    } as unknown as Parameters<typeof client.chat.completions.runTools>[0]);
    // A forced choice would call forever: the helper stops after its first round by itself.
    await runner.done().catch(() => {});
    assert.ok(ran >= 1, 'the helper ran the tool Ponder asked for');
  });

  test('chat.completions.parse with a zod schema returns a parsed, valid object', async () => {
    const completion = await client.chat.completions.parse({
      model: 'tiny',
      messages: [{ role: 'user', content: 'Forecast as JSON.' }],
      response_format: zodResponseFormat(Weather, 'forecast'),
      seed: 2,
      ...brief,
    });
    const message = completion.choices[0]?.message;
    assert.equal(completion.choices[0]?.finish_reason, 'stop');
    assert.ok(message?.parsed, message?.content ?? '');
    Weather.parse(message.parsed);
  });

  test('response_format json_object returns a JSON object', async () => {
    const completion = await client.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: 'Some JSON.' }],
      response_format: { type: 'json_object' },
      max_tokens: 600,
      seed: 9,
      ...brief,
    });
    const choice = completion.choices[0];
    if (choice?.finish_reason === 'stop') {
      const value: unknown = JSON.parse(choice.message.content ?? '');
      assert.equal(typeof value, 'object');
      assert.ok(value !== null && !Array.isArray(value));
    } else assert.equal(choice?.finish_reason, 'length');
  });

  test('unsupported and malformed tool parameters answer 400 naming the param', async () => {
    const bad = async (body: Record<string, unknown>, param: string) => {
      await assert.rejects(
        client.chat.completions.create({
          model: 'tiny',
          messages: [{ role: 'user', content: 'hi' }],
          ...body,
        } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming),
        (err: unknown) => {
          assert.ok(err instanceof BadRequestError, String(err));
          assert.equal((err.error as { param?: string }).param, param);
          return true;
        },
      );
    };
    await bad({ functions: [{ name: 'f', parameters: {} }] }, 'functions');
    await bad({ logprobs: true }, 'logprobs');
    await bad({ n: 2 }, 'n');
    await bad(
      { tools: [weatherTool], tool_choice: { type: 'function', function: { name: 'nope' } } },
      'tool_choice',
    );
    await bad({ response_format: { type: 'json_schema' } }, 'response_format.json_schema');
    // A schema the grammar cannot express is named too (the engine refuses it before generating).
    await assert.rejects(
      client.chat.completions.create({
        model: 'tiny',
        messages: [{ role: 'user', content: 'hi' }],
        tools: [{ type: 'function', function: { name: 'f', parameters: { not: { type: 'string' } } } }],
      }),
      (err: unknown) => err instanceof BadRequestError && /tools\[0\]\.parameters/.test(err.message),
    );
  });
});
