/**
 * The Search toggle over HTTP: a web turn with `search: true` searches first (a scripted SearXNG listing
 * real HTML pages on loopback, read through the real extraction path), shows the search in its timeline,
 * and the model (a scripted upstream: the test is about the turn) gets the numbered sources before it
 * answers. Without a provider, `search: true` is a clear 400.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ConversationDetail } from '../src/api/conversations.ts';
import { createUpstreamProvider } from '../src/inference/upstream/provider.ts';
import {
  chatStream,
  type ScriptedUpstream,
  startScriptedUpstream,
} from '../src/inference/upstream/scripted-upstream.ts';
import { ScriptedServer } from '../src/inference/web/search-contract.ts';
import { type PageServer, startPageServer } from '../src/inference/web/testing.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';
import { collectSse } from './conversations-helpers.ts';
import { searxResults } from './search-fixture.ts';

describe('the Search toggle in a web turn', () => {
  let pages: PageServer;
  const searx = new ScriptedServer();
  let upstream: ScriptedUpstream;
  let server: TestServer;
  let bare: TestServer;

  before(async () => {
    pages = await startPageServer();
    await searx.start();
    searx.fallback = searxResults([
      { url: `${pages.origin}/article.html`, title: 'Reasoning models', content: 'about reasoning' },
      { url: `${pages.origin}/xss.html`, title: 'Kitchen tips', content: 'tips' },
    ]);
    upstream = await startScriptedUpstream({ models: ['r1-test'] });
    const provider = () =>
      createUpstreamProvider({ id: 'scripted', baseUrl: upstream.baseUrl, reasoningFormat: 'auto' });
    server = await startTestServer({
      config: {
        fetch: { allowPrivateHosts: ['127.0.0.1'] },
        search: { provider: 'searxng', baseUrl: searx.baseUrl, maxResults: 5, timeoutMs: 10_000 },
      },
      deps: { providers: [provider()], defaultModel: 'r1-test' },
    });
    bare = await startTestServer({ deps: { providers: [provider()], defaultModel: 'r1-test' } });
  });
  after(async () => {
    await server?.close();
    await bare?.close();
    await upstream?.close();
    await searx.stop();
    await pages?.close();
  });

  async function newConversation(s: TestServer): Promise<{ cookie: string; id: string }> {
    const { cookie } = await s.signup();
    const res = await s.request('/api/conversations', { method: 'POST', cookie, json: {} });
    return { cookie, id: ((await res.json()) as { id: string }).id };
  }

  test('the search runs first, shows as a web_search step with its sources, and reaches the model', async () => {
    const { cookie, id } = await newConversation(server);
    upstream.enqueue(
      // The query the model writes from the question (thinking off, JSON under a grammar), then the answer.
      { lines: chatStream({ reasoning: [], content: ['{"query":"reasoning models explained"}'] }) },
      { lines: chatStream({ content: ['Models reason [1].'] }) },
    );
    const before = upstream.chatRequests.length;
    const res = await server.request(`/api/conversations/${id}/messages`, {
      method: 'POST',
      cookie,
      json: { content: 'What are reasoning models?', search: true },
    });
    assert.equal(res.status, 200);
    const events = await collectSse(res);
    const kinds = events.map((e) => e.event).filter((k) => k !== 'queued');
    assert.deepEqual(kinds.slice(0, 3), ['meta', 'tool_call', 'tool_result']);
    const call = events.find((e) => e.event === 'tool_call')?.data as { name: string; arguments: string };
    assert.equal(call.name, 'web_search');
    assert.equal((JSON.parse(call.arguments) as { query: string }).query, 'reasoning models explained');
    const writer = upstream.chatRequests[before]?.body as Record<string, unknown>;
    assert.equal(
      (writer.response_format as { type?: string }).type,
      'json_schema',
      'the query is written under a schema',
    );
    assert.match(JSON.stringify(writer.messages), /What are reasoning models\?/);
    const result = events.find((e) => e.event === 'tool_result')?.data as {
      content: string;
      isError: boolean;
    };
    assert.equal(result.isError, false);
    assert.match(
      result.content,
      /^\[1\] How reasoning models think .* — http:\/\/127\.0\.0\.1:\d+\/article\.html$/m,
    );

    const sent = upstream.chatRequests[before + 1]?.body as { messages: Array<Record<string, unknown>> };
    assert.deepEqual(
      sent.messages.map((m) => m.role),
      ['user', 'assistant', 'tool'],
    );
    assert.match(String(sent.messages[2]?.content), /untrusted data/);
    assert.doesNotMatch(
      String(sent.messages[2]?.content),
      /<script|onerror=/i,
      'page markup never reaches the model',
    );

    const detail = (await (
      await server.request(`/api/conversations/${id}`, { cookie })
    ).json()) as ConversationDetail;
    assert.equal(detail.messages.at(-1)?.toolSteps?.[0]?.name, 'web_search');
    assert.equal(detail.messages.at(-1)?.content, 'Models reason [1].');
  });

  test('without a search provider, search: true is a 400 that says so', async () => {
    const { cookie, id } = await newConversation(bare);
    const res = await bare.request(`/api/conversations/${id}/messages`, {
      method: 'POST',
      cookie,
      json: { content: 'hi', search: true },
    });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /Web search is not configured/);
    const tools = (await (await bare.request('/api/tools', { cookie })).json()) as {
      tools: Array<{ name: string }>;
    };
    assert.ok(!tools.tools.some((t) => t.name === 'web_search'), 'and the tool list has no web_search');
  });
});
