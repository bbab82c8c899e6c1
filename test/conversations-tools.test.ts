/**
 * Ponder's own tools in a web turn, over HTTP, on SQLite and PostgreSQL: the model (a scripted upstream
 * that calls `current_time`, then answers — the test is about the loop, not a model) calls a tool, Ponder
 * runs it, streams the call and its result, stores them with the answer (encrypted), replays them on
 * reattach and exports them, and the next turn sends them back to the model as it saw them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ConversationDetail, ToolsResponse } from '../src/api/conversations.ts';
import { createUpstreamProvider } from '../src/inference/upstream/provider.ts';
import {
  chatStream,
  type ScriptedUpstream,
  startScriptedUpstream,
  toolCallStream,
} from '../src/inference/upstream/scripted-upstream.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';
import { collectSse, metaOf } from './conversations-helpers.ts';

const callRound = toolCallStream({
  id: 'call_t1',
  name: 'current_time',
  args: '{"timezone":"Europe/Paris"}',
  reasoning: 'Which day is it? ',
});
const answerRound = chatStream({ reasoning: ['The tool says.'], content: ['Today is the day.'] });

for (const storeKind of ['sqlite', 'postgres'] as const) {
  describe(`Ponder's tools in a web turn (${storeKind})`, () => {
    let upstream: ScriptedUpstream;
    let server: TestServer;
    before(async () => {
      upstream = await startScriptedUpstream({ models: ['r1-test'] });
      const provider = createUpstreamProvider({
        id: 'scripted',
        baseUrl: upstream.baseUrl,
        reasoningFormat: 'auto',
      });
      server = await startTestServer({
        store: storeKind,
        deps: { providers: [provider], defaultModel: 'r1-test', chat: { persistIntervalMs: 50 } },
      });
    });
    after(async () => {
      await server?.close();
      await upstream?.close();
    });

    test('GET /api/tools lists the built-in tools; an unknown tool in a send is a 400', async () => {
      const user = await server.signup();
      const res = await server.request('/api/tools', { cookie: user.cookie });
      const { tools } = (await res.json()) as ToolsResponse;
      assert.deepEqual(
        tools.map((t) => [t.name, t.readOnly]),
        [
          ['current_time', true],
          ['fetch_url', true],
          // Offered with the turn's documents (issue 13); the web app keeps it out of its Tools menu.
          ['search_documents', true],
        ],
      );
      assert.equal((await server.request('/api/tools')).status, 401);
      const conv = (await (
        await server.request('/api/conversations', { method: 'POST', cookie: user.cookie, json: {} })
      ).json()) as { id: string };
      const bad = await server.request(`/api/conversations/${conv.id}/messages`, {
        method: 'POST',
        cookie: user.cookie,
        json: { content: 'hi', tools: ['rm_rf'] },
      });
      assert.equal(bad.status, 400);
      assert.match(await bad.text(), /unknown tool/);
    });

    test('a call runs, streams, is stored with the answer, replays on reattach and goes back to the model', async () => {
      const user = await server.signup();
      const conv = (await (
        await server.request('/api/conversations', { method: 'POST', cookie: user.cookie, json: {} })
      ).json()) as { id: string };
      upstream.enqueue({ lines: callRound }, { lines: answerRound });
      const res = await server.request(`/api/conversations/${conv.id}/messages`, {
        method: 'POST',
        cookie: user.cookie,
        json: { content: 'What day is it?', tools: ['current_time'] },
      });
      assert.equal(res.status, 200);
      const events = await collectSse(res);
      assert.deepEqual(
        events.map((e) => e.event).filter((e) => e !== 'queued'),
        ['meta', 'reasoning', 'tool_call', 'tool_result', 'reasoning', 'text', 'usage', 'done'],
      );
      const call = events.find((e) => e.event === 'tool_call')?.data as Record<string, unknown>;
      assert.equal(call.id, 'call_t1');
      assert.equal(call.name, 'current_time');
      assert.equal(call.arguments, '{"timezone":"Europe/Paris"}');
      // Where the call sits: after the reasoning streamed before it.
      const callAt = events.findIndex((e) => e.event === 'tool_call');
      const reasoningBefore = events
        .slice(0, callAt)
        .map((e) => (e.event === 'reasoning' ? (e.data as { text: string }).text : ''))
        .join('');
      assert.ok(reasoningBefore.startsWith('Which day is it?'));
      assert.equal(call.reasoningOffset, reasoningBefore.length);
      const result = events.find((e) => e.event === 'tool_result')?.data as Record<string, unknown>;
      assert.equal(result.isError, false);
      assert.match(String(result.content), /"timezone":"Europe\/Paris"/);

      const detail = (await (
        await server.request(`/api/conversations/${conv.id}`, { cookie: user.cookie })
      ).json()) as ConversationDetail;
      const answer = detail.messages.at(-1);
      assert.equal(answer?.status, 'complete');
      assert.equal(answer?.content, 'Today is the day.');
      assert.match(answer?.reasoning ?? '', /^Which day is it\?\s*The tool says\.$/);
      assert.equal(answer?.toolSteps?.length, 1);
      assert.equal(answer?.toolSteps?.[0]?.result?.content, result.content);

      // Reattaching replays the whole timeline.
      const replay = await collectSse(
        await server.request(`/api/generations/${metaOf(events).generationId}/events`, {
          cookie: user.cookie,
        }),
      );
      assert.ok(replay.some((e) => e.event === 'tool_call') && replay.some((e) => e.event === 'tool_result'));

      // The export carries the steps.
      const exported = (await (
        await server.request(`/api/conversations/${conv.id}/export?format=json`, { cookie: user.cookie })
      ).json()) as { conversation: ConversationDetail };
      assert.equal(exported.conversation.messages.at(-1)?.toolSteps?.[0]?.id, 'call_t1');

      // The next turn sends the call, its reasoning and its result back to the model as it saw them.
      upstream.enqueue({ lines: answerRound });
      const before = upstream.chatRequests.length;
      await collectSse(
        await server.request(`/api/conversations/${conv.id}/messages`, {
          method: 'POST',
          cookie: user.cookie,
          json: { content: 'And tomorrow?' },
        }),
      );
      const sent = upstream.chatRequests[before]?.body as {
        messages: Array<Record<string, unknown>>;
        tools?: unknown;
      };
      assert.deepEqual(
        sent.messages.map((m) => m.role),
        ['user', 'assistant', 'tool', 'assistant', 'user'],
      );
      assert.equal(sent.messages[1]?.reasoning_content, reasoningBefore);
      assert.equal(((sent.messages[1]?.tool_calls ?? []) as Array<{ id: string }>)[0]?.id, 'call_t1');
      assert.equal(sent.messages[2]?.tool_call_id, 'call_t1');
      assert.equal(sent.messages[3]?.content, 'Today is the day.');
      assert.equal(sent.tools, undefined, 'no tools were chosen for this turn');
    });
  });
}
