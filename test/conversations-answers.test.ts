/**
 * Cut-off answers and "answer now" over HTTP on the embedded engine (tiny model, EOS banned so every
 * answer runs to its limit): `POST …/messages/:id/continue` grows the same message, and
 * `POST /api/generations/:id/answer-now` ends the reasoning of a running answer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ConversationDetail, MetaEventData } from '../src/api/conversations.ts';
import {
  type ChatTestServer,
  collectSse,
  metaOf,
  readSse,
  type SseEvent,
  startChatServer,
  THINK,
  textOf,
} from './conversations-helpers.ts';

for (const storeKind of ['sqlite', 'postgres'] as const) {
  describe(`cut-off answers and answer now (${storeKind})`, () => {
    let server: ChatTestServer;
    let cookie: string;
    let otherCookie: string;
    before(async () => {
      server = await startChatServer(storeKind, { maxTokens: 20 });
      cookie = (await server.signup()).cookie;
      otherCookie = (await server.signup()).cookie;
    });
    after(async () => {
      await server?.close();
    });

    const newConversation = async () => {
      const res = await server.request('/api/conversations', { method: 'POST', cookie, json: {} });
      return ((await res.json()) as { id: string }).id;
    };
    const detail = async (id: string) =>
      (await (await server.request(`/api/conversations/${id}`, { cookie })).json()) as ConversationDetail;

    test('a cut-off answer is marked length; Continue appends to the same message', async () => {
      const conv = await newConversation();
      const first = await collectSse(
        await server.request(`/api/conversations/${conv}/messages`, {
          method: 'POST',
          cookie,
          json: { content: 'tell me a long story', thinking: THINK },
        }),
      );
      assert.deepEqual(first.at(-1)?.data, { finishReason: 'length' });
      const meta = metaOf(first);
      const before = textOf(first);
      let saved = (await detail(conv)).messages.find((m) => m.id === meta.assistantMessageId);
      assert.equal(saved?.finishReason, 'length');
      assert.equal(saved?.status, 'complete');

      const path = `/api/conversations/${conv}/messages/${meta.assistantMessageId}/continue`;
      const res = await server.request(path, { method: 'POST', cookie, json: { thinking: THINK } });
      assert.equal(res.status, 200);
      const more = await collectSse(res);
      const meta2 = metaOf(more);
      assert.equal(meta2.assistantMessageId, meta.assistantMessageId, 'the same message');
      assert.notEqual(meta2.generationId, meta.generationId, 'a new generation');
      assert.equal(meta2.continues, true);
      const after = textOf(more);
      // The stream replays what the message held, then 20 more tokens of answer.
      assert.equal(after.reasoning, before.reasoning, 'the reasoning was over: no new thinking');
      assert.ok(after.text.startsWith(before.text) && after.text.length > before.text.length);
      saved = (await detail(conv)).messages.find((m) => m.id === meta.assistantMessageId);
      assert.equal(saved?.content, after.text);
      assert.equal(saved?.usage?.completionTokens, 40, 'usage covers the whole answer');
      assert.equal((await detail(conv)).messages.filter((m) => m.role === 'assistant').length, 1);

      // Only answers can be continued, by their owner, with known fields.
      const user = await server.request(
        `/api/conversations/${conv}/messages/${meta.userMessageId}/continue`,
        { method: 'POST', cookie, json: {} },
      );
      assert.equal(user.status, 400);
      await user.body?.cancel();
      const extra = await server.request(path, { method: 'POST', cookie, json: { maxTokens: 5 } });
      assert.equal(extra.status, 400);
      await extra.body?.cancel();
      const foreign = await server.request(path, { method: 'POST', cookie: otherCookie, json: {} });
      assert.equal(foreign.status, 404);
      await foreign.body?.cancel();
    });

    test('answer now: the reasoning ends and the answer follows in the same stream', async () => {
      const conv = await newConversation();
      // No budget asked: the plan's cap (free: 4096) is more than the 20 tokens, so all would be thinking.
      const res = await server.request(`/api/conversations/${conv}/messages`, {
        method: 'POST',
        cookie,
        json: { content: 'think about it', thinking: { enabled: true } },
      });
      const events: SseEvent[] = [];
      let asked = false;
      let meta: MetaEventData | undefined;
      for await (const e of readSse(res)) {
        events.push(e);
        if (e.event === 'meta') {
          meta = e.data as MetaEventData;
          // Before the first token: the engine closes the block at once and answers.
          const foreign = await server.request(`/api/generations/${meta.generationId}/answer-now`, {
            method: 'POST',
            cookie: otherCookie,
            json: {},
          });
          assert.equal(foreign.status, 404);
          const now = await server.request(`/api/generations/${meta.generationId}/answer-now`, {
            method: 'POST',
            cookie,
            json: {},
          });
          assert.equal(now.status, 200);
          assert.deepEqual(await now.json(), { answering: true });
          asked = true;
        }
      }
      assert.ok(asked && meta);
      assert.equal(meta.thinkingBudget, 4096);
      assert.equal(meta.canEndThinking, true);
      const firstText = events.findIndex((e) => e.event === 'text');
      assert.ok(firstText > 0, 'answer text follows');
      assert.ok(events.slice(firstText).every((e) => e.event !== 'reasoning'));
      const usage = events.find((e) => e.event === 'usage')?.data as { reasoningTokens: number };
      assert.ok(usage.reasoningTokens < 20, `reasoning tokens ${usage.reasoningTokens}`);
      for (const e of events.filter((x) => x.event === 'reasoning')) {
        assert.equal(typeof (e.data as { tokens?: number }).tokens, 'number', 'reasoning counts tokens');
      }
      // Finished: a no-op. Unknown: 404.
      const again = await server.request(`/api/generations/${meta.generationId}/answer-now`, {
        method: 'POST',
        cookie,
        json: {},
      });
      assert.equal(again.status, 200);
      const unknown = await server.request('/api/generations/Zz9Zz9Zz9Zz9Zz9Zz9Zz9A/answer-now', {
        method: 'POST',
        cookie,
        json: {},
      });
      assert.equal(unknown.status, 404);
    });
  });
}
