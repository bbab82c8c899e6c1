/**
 * The Responses API through an upstream: Ponder B has no engine; its upstream pool points at Ponder A's
 * `/v1` (embedded engine on the generated model). The `openai` client talks Responses to B, B talks chat
 * completions to A, so reasoning, function calls and usage cross a real HTTP hop both ways.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { createUpstreamPool } from '../src/inference/upstream/pool.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';
import { assertEventOrder, weatherTool } from './openai-responses-helpers.ts';

async function apiKeyFor(server: TestServer): Promise<string> {
  const { cookie } = await server.signup();
  const res = await server.request('/api/keys', { method: 'POST', cookie, json: { name: 'chain' } });
  assert.equal(res.status, 201);
  return ((await res.json()) as { key: string }).key;
}

describe('Responses API on Ponder B → Ponder A (upstream over HTTP)', () => {
  let a: TestServer;
  let b: TestServer;
  let client: OpenAI;

  before(async () => {
    a = await startTestServer({ withModel: true });
    const pool = createUpstreamPool(
      [{ id: 'ponder-a', baseUrl: `${a.baseUrl}/v1`, apiKey: await apiKeyFor(a), reasoningFormat: 'auto' }],
      { healthCheckIntervalMs: 0 },
    );
    b = await startTestServer({ deps: { providers: [pool], upstreamPools: [pool], defaultModel: 'tiny' } });
    client = new OpenAI({
      baseURL: `${b.baseUrl}/v1`,
      apiKey: await apiKeyFor(b),
      maxRetries: 0,
      timeout: 60_000,
    });
  });
  after(async () => {
    await b?.close();
    await a?.close();
  });

  test('responses.stream through B: events in order, reasoning from A, usage', async () => {
    const stream = client.responses.stream({
      model: 'tiny',
      input: 'hello through two hops',
      max_output_tokens: 40,
      reasoning: { effort: 'minimal' },
    });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    assertEventOrder(events);
    assert.ok(
      events.some((e) => e.type === 'response.reasoning_text.delta'),
      'reasoning crossed the hop',
    );
    const final = await stream.finalResponse();
    assert.ok((final.usage?.output_tokens ?? 0) > 0);
    assert.equal((await client.responses.retrieve(final.id)).id, final.id);
  });

  test('a function call round trip through B, chained by previous_response_id', async () => {
    const first = await client.responses.create({
      model: 'tiny',
      input: 'Weather in Lyon?',
      tools: [weatherTool],
      tool_choice: 'required',
      max_output_tokens: 400,
      reasoning: { effort: 'minimal' },
    });
    const call = first.output.find((i) => i.type === 'function_call');
    assert.ok(call?.type === 'function_call', JSON.stringify(first.output));
    assert.equal(call.name, 'get_weather');
    JSON.parse(call.arguments);
    const second = await client.responses.create({
      model: 'tiny',
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: 'sunny' }],
      tools: [weatherTool],
      tool_choice: 'none',
      max_output_tokens: 40,
      reasoning: { effort: 'minimal' },
    });
    assert.ok(['completed', 'incomplete'].includes(second.status ?? ''));
    assert.ok(!second.output.some((i) => i.type === 'function_call'));
  });
});
