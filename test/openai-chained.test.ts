/**
 * Chained test: Ponder B has no engine of its own; its upstream pool points at Ponder A's `/v1`
 * (embedded engine on a generated model). Real traffic crosses a real HTTP hop with no fakes, and the
 * `openai` client talks to B.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { createUpstreamPool } from '../src/inference/upstream/pool.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';

async function apiKeyFor(server: TestServer): Promise<string> {
  const { cookie } = await server.signup();
  const res = await server.request('/api/keys', { method: 'POST', cookie, json: { name: 'chain' } });
  assert.equal(res.status, 201);
  return ((await res.json()) as { key: string }).key;
}

describe('Ponder B → Ponder A (upstream over HTTP)', () => {
  let a: TestServer;
  let b: TestServer;
  let client: OpenAI;
  let upstreamKey: string;

  before(async () => {
    a = await startTestServer({ withModel: true });
    upstreamKey = await apiKeyFor(a);
    const pool = createUpstreamPool(
      [{ id: 'ponder-a', baseUrl: `${a.baseUrl}/v1`, apiKey: upstreamKey, reasoningFormat: 'auto' }],
      { healthCheckIntervalMs: 0 },
    );
    b = await startTestServer({ deps: { providers: [pool], upstreamPools: [pool], defaultModel: 'tiny' } });
    client = new OpenAI({ baseURL: `${b.baseUrl}/v1`, apiKey: await apiKeyFor(b), maxRetries: 0 });
  });
  after(async () => {
    await b?.close();
    await a?.close();
  });

  test("B lists A's model", async () => {
    const models = await client.models.list();
    const tiny = models.data.find((m) => m.id === 'tiny');
    assert.ok(tiny, JSON.stringify(models.data));
    assert.equal(tiny.owned_by, 'upstreams');
  });

  test('streaming through B: reasoning then content, usage, [DONE]', async () => {
    const stream = await client.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: 'hello through two hops' }],
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 20,
      reasoning_effort: 'low',
      thinking: { type: 'enabled', budget_tokens: 5 },
    } as OpenAI.ChatCompletionCreateParamsStreaming);
    let reasoning = '';
    let content = '';
    let contentBeforeReasoningEnded = false;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      const delta = chunk.choices[0]?.delta as { content?: string; reasoning_content?: string } | undefined;
      if (delta?.reasoning_content) {
        if (content) contentBeforeReasoningEnded = true;
        reasoning += delta.reasoning_content;
      }
      if (delta?.content) content += delta.content;
    }
    assert.ok(reasoning.length > 0, 'reasoning crossed the hop');
    assert.ok(content.length > 0, 'content crossed the hop');
    assert.equal(contentBeforeReasoningEnded, false);
    assert.ok(usage && usage.completion_tokens > 0 && usage.completion_tokens <= 20);
  });

  test('non-streaming through B', async () => {
    const completion = await client.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 8,
    });
    const message = completion.choices[0]?.message as { reasoning_content?: string };
    assert.ok((message.reasoning_content ?? '').length > 0);
    assert.ok((completion.usage?.completion_tokens ?? 0) > 0);
  });

  test('web chat on B streams from A', async () => {
    const { cookie } = await b.signup();
    const created = await b.request('/api/conversations', { method: 'POST', cookie, json: {} });
    const { id } = (await created.json()) as { id: string };
    const res = await b.request(`/api/conversations/${id}/messages`, {
      method: 'POST',
      cookie,
      json: { content: 'hello', thinking: { enabled: true, budgetTokens: 3 } },
    });
    assert.equal(res.status, 200);
    const body = await res.text();
    assert.match(body, /event: meta/);
    assert.match(body, /event: reasoning/);
    assert.match(body, /event: done\ndata: \{"finishReason":"(stop|length)"/);
  });

  test("A's key is never exposed by B", async () => {
    assert.ok(!b.logs.some((l) => l.includes(upstreamKey)));
    const models = await client.models.list();
    assert.ok(!JSON.stringify(models).includes(upstreamKey));
  });
});
