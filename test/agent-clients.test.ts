/**
 * Agent frameworks against Ponder's `/v1` on the embedded engine with the generated tiny model: the
 * Vercel AI SDK (`@ai-sdk/openai-compatible`) and LangChain (`@langchain/openai`). Before tools existed
 * they failed in their own ways (`ToolChoiceViolationError`, `withStructuredOutput` returning undefined);
 * now a required tool must come back called with valid arguments and a schema must come back filled.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { ChatOpenAI } from '@langchain/openai';
import { generateObject, generateText, jsonSchema, tool } from 'ai';
import { z } from 'zod';
import { startTestServer, type TestServer } from '../src/server/testing.ts';

const Forecast = z.object({
  city: z.string().max(20),
  days: z.number().int(),
  unit: z.enum(['celsius', 'fahrenheit']),
});

describe('agent frameworks: tools and structured output', () => {
  let server: TestServer;
  let key: string;

  before(async () => {
    server = await startTestServer({ withModel: true });
    const { cookie } = await server.signup();
    const res = await server.request('/api/keys', { method: 'POST', cookie, json: { name: 'agents' } });
    key = ((await res.json()) as { key: string }).key;
  });
  after(async () => {
    await server?.close();
  });

  const aiSdkModel = () =>
    createOpenAICompatible({
      name: 'ponder',
      baseURL: `${server.baseUrl}/v1`,
      apiKey: key,
      supportsStructuredOutputs: true,
    })('tiny');
  /** Short reasoning keeps every request quick on the tiny model. */
  const brief = { ponder: { thinking: { type: 'enabled', budget_tokens: 8 } } };

  test('AI SDK generateText with a required tool: the call comes back with valid input', async () => {
    let executed = 0;
    const result = await generateText({
      model: aiSdkModel(),
      prompt: 'Weather in Lyon for three days?',
      tools: {
        forecast: tool({
          description: 'The forecast for a city',
          inputSchema: Forecast,
          execute: async (input) => {
            executed++;
            return { ok: true, city: input.city };
          },
        }),
      },
      toolChoice: 'required',
      maxRetries: 0,
      maxOutputTokens: 200,
      seed: 3,
      providerOptions: brief,
    });
    assert.equal(result.finishReason, 'tool-calls');
    const call = result.toolCalls[0];
    assert.equal(call?.toolName, 'forecast');
    Forecast.parse(call?.input);
    assert.equal(executed, 1, 'the SDK ran the tool Ponder called');
  });

  test('AI SDK generateObject fills a zod schema', async () => {
    const { object } = await generateObject({
      model: aiSdkModel(),
      schema: Forecast,
      prompt: 'A forecast as an object.',
      maxRetries: 0,
      seed: 2,
      providerOptions: brief,
    });
    Forecast.parse(object);
  });

  test('AI SDK generateText with a JSON-schema tool the model may choose to call (auto)', async () => {
    const result = await generateText({
      model: aiSdkModel(),
      prompt: 'Hi',
      tools: {
        clock: tool({
          inputSchema: jsonSchema({ type: 'object', properties: {} }),
          execute: async () => '10:42',
        }),
      },
      maxRetries: 0,
      maxOutputTokens: 24,
      seed: 1,
      providerOptions: brief,
    });
    assert.ok(['stop', 'length', 'tool-calls'].includes(result.finishReason), result.finishReason);
  });

  const langchain = () =>
    new ChatOpenAI({
      model: 'tiny',
      apiKey: key,
      configuration: { baseURL: `${server.baseUrl}/v1` },
      maxRetries: 0,
      maxTokens: 200,
      modelKwargs: { thinking: { type: 'enabled', budget_tokens: 8 } },
    });

  test('LangChain bindTools with a forced tool: tool_calls parsed with valid args', async () => {
    const model = langchain().bindTools(
      [{ name: 'forecast', description: 'The forecast for a city', schema: Forecast }],
      { tool_choice: 'forecast' },
    );
    const message = await model.invoke('Weather in Lyon?');
    const call = message.tool_calls?.[0];
    assert.equal(call?.name, 'forecast');
    Forecast.parse(call?.args);
    assert.equal(message.invalid_tool_calls?.length ?? 0, 0);
  });

  test('LangChain withStructuredOutput returns a filled object (function calling and json_schema)', async () => {
    for (const method of ['functionCalling', 'jsonSchema'] as const) {
      const structured = langchain().withStructuredOutput(Forecast, { name: 'forecast', method });
      const value = await structured.invoke('A forecast please.');
      assert.ok(value !== undefined, `${method}: not undefined`);
      Forecast.parse(value);
    }
  });
});
