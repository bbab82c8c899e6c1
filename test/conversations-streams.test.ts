/**
 * Generation streams over HTTP: reattaching with Last-Event-ID, client disconnects, stop, and deleting a
 * conversation or the account in the middle of a generation. Answers are 300 tokens (EOS banned), long
 * enough to act while they run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ConversationDetail, Message } from '../src/api/conversations.ts';
import { TEST_PASSWORD } from '../src/server/testing.ts';
import {
  type ChatTestServer,
  collectSse,
  readSse,
  type SseEvent,
  startChatServer,
  THINK,
  textOf,
  waitFor,
} from './conversations-helpers.ts';

for (const storeKind of ['sqlite', 'postgres'] as const) {
  describe(`generation streams (${storeKind})`, () => {
    let server: ChatTestServer;
    before(async () => {
      server = await startChatServer(storeKind, { maxTokens: 300 });
    });
    after(async () => {
      await server?.close();
    });

    async function newConversation(cookie: string): Promise<string> {
      const res = await server.request('/api/conversations', { method: 'POST', cookie, json: {} });
      return ((await res.json()) as { id: string }).id;
    }

    /** Posts a message and reads events until `until` says stop; the connection is then dropped. */
    async function sendAndRead(
      cookie: string,
      conversationId: string,
      until: (e: SseEvent, all: SseEvent[]) => boolean,
    ): Promise<{ events: SseEvent[]; abort: AbortController }> {
      const abort = new AbortController();
      const res = await server.request(`/api/conversations/${conversationId}/messages`, {
        method: 'POST',
        cookie,
        json: { content: 'tell me a long story', thinking: THINK },
        signal: abort.signal,
      });
      assert.equal(res.status, 200);
      const events: SseEvent[] = [];
      for await (const e of readSse(res)) {
        events.push(e);
        if (until(e, events)) break;
      }
      abort.abort();
      return { events, abort };
    }

    async function assistantOf(cookie: string, conversationId: string): Promise<Message | undefined> {
      const res = await server.request(`/api/conversations/${conversationId}`, { cookie });
      const detail = (await res.json()) as ConversationDetail;
      return detail.messages.find((m) => m.role === 'assistant');
    }

    test('reattaching with Last-Event-ID gets exactly the remaining events', async () => {
      const { cookie } = await server.signup();
      const conv = await newConversation(cookie);
      const { events: head } = await sendAndRead(cookie, conv, (e) => e.event === 'text');
      const meta = head[0]?.data as { generationId: string };
      const lastId = head.at(-1)?.id;
      assert.ok(lastId && lastId > 2);
      // The header and the query parameter both work.
      const viaHeader = await collectSse(
        await server.request(`/api/generations/${meta.generationId}/events`, {
          cookie,
          headers: { 'last-event-id': String(lastId) },
        }),
      );
      const viaQuery = await collectSse(
        await server.request(`/api/generations/${meta.generationId}/events?lastEventId=${lastId}`, {
          cookie,
        }),
      );
      for (const tail of [viaHeader, viaQuery]) {
        assert.equal(tail[0]?.id, lastId + 1, 'continues right after the last event seen');
        assert.ok(!tail.some((e) => e.event === 'meta'));
        assert.equal(tail.at(-1)?.event, 'done');
        const ids = [...head, ...tail].map((e) => e.id);
        assert.deepEqual(
          ids,
          ids.map((_, i) => i + 1),
        );
      }
      const full = textOf([...head, ...viaHeader]);
      const saved = await assistantOf(cookie, conv);
      assert.equal(saved?.status, 'complete');
      assert.equal(full.text, saved?.content);
      assert.equal(full.reasoning, saved?.reasoning);
      assert.ok(full.text.length > 0);
    });

    test('a client disconnect does not stop the generation', async () => {
      const { cookie } = await server.signup();
      const conv = await newConversation(cookie);
      await sendAndRead(cookie, conv, (e) => e.event === 'meta');
      const saved = await waitFor(async () => {
        const m = await assistantOf(cookie, conv);
        return m && m.status !== 'streaming' ? m : undefined;
      });
      assert.equal(saved.status, 'complete');
      // It ran on to the token cap after the client left (the engine's count can end one short of the
      // cap when the last sampled piece is an incomplete character).
      const tokens = saved.usage?.completionTokens ?? 0;
      assert.ok(tokens >= 290 && tokens <= 300, `completion tokens: ${tokens}`);
    });

    test('stop keeps the partial answer as cancelled', async () => {
      const { cookie } = await server.signup();
      const conv = await newConversation(cookie);
      const res = await server.request(`/api/conversations/${conv}/messages`, {
        method: 'POST',
        cookie,
        json: { content: 'go on', thinking: THINK },
      });
      const events: SseEvent[] = [];
      let generationId = '';
      for await (const e of readSse(res)) {
        events.push(e);
        if (e.event === 'meta') generationId = (e.data as { generationId: string }).generationId;
        if (e.event === 'text' && events.filter((x) => x.event === 'text').length === 1) {
          const stop = await server.request(`/api/generations/${generationId}/stop`, {
            method: 'POST',
            cookie,
          });
          assert.equal(stop.status, 200);
          assert.deepEqual(await stop.json(), { stopped: true });
        }
      }
      assert.deepEqual(events.at(-1)?.data, { finishReason: 'cancelled' });
      const saved = await assistantOf(cookie, conv);
      assert.equal(saved?.status, 'cancelled');
      assert.equal(saved?.content, textOf(events).text);
      assert.ok((saved?.content.length ?? 0) > 0, 'partial answer kept');
      assert.ok((saved?.usage?.completionTokens ?? 300) < 300);
      // Stopping again, or a finished generation, is a harmless no-op; the replay ends `cancelled`.
      const again = await server.request(`/api/generations/${generationId}/stop`, { method: 'POST', cookie });
      assert.equal(again.status, 200);
      const replay = await collectSse(
        await server.request(`/api/generations/${generationId}/events`, { cookie }),
      );
      assert.equal(replay.at(-1)?.event, 'done');
      assert.equal(textOf(replay).text, saved?.content);
    });

    test('deleting the conversation mid-generation cancels it cleanly', async () => {
      const { cookie } = await server.signup();
      const conv = await newConversation(cookie);
      const abort = new AbortController();
      const res = await server.request(`/api/conversations/${conv}/messages`, {
        method: 'POST',
        cookie,
        json: { content: 'delete me', thinking: THINK },
        signal: abort.signal,
      });
      const events: SseEvent[] = [];
      let deleted = false;
      for await (const e of readSse(res)) {
        events.push(e);
        if (!deleted && e.event === 'reasoning') {
          deleted = true;
          const del = await server.request(`/api/conversations/${conv}`, { method: 'DELETE', cookie });
          assert.equal(del.status, 204);
        }
      }
      assert.equal(events.at(-1)?.event, 'done');
      assert.equal((events.at(-1)?.data as { finishReason?: string } | undefined)?.finishReason, 'cancelled');
      assert.equal((await server.request(`/api/conversations/${conv}`, { cookie })).status, 404);
      assert.ok(
        !server.logs.some((l) => l.includes('generation runner crashed') || l.includes('"level":50')),
      );
    });

    test('deleting the account mid-generation: no crash, everything gone', async () => {
      const { cookie, user } = await server.signup();
      const conv = await newConversation(cookie);
      const res = await server.request(`/api/conversations/${conv}/messages`, {
        method: 'POST',
        cookie,
        json: { content: 'forget me', thinking: THINK },
      });
      const events: SseEvent[] = [];
      let deleted = false;
      for await (const e of readSse(res)) {
        events.push(e);
        if (!deleted && e.event === 'reasoning') {
          deleted = true;
          const del = await server.request('/api/auth/account', {
            method: 'DELETE',
            cookie,
            json: { password: TEST_PASSWORD },
          });
          assert.equal(del.status, 204);
        }
      }
      assert.equal(events.at(-1)?.event, 'done');
      assert.equal((await server.request('/healthz')).status, 200);
      assert.equal(await server.store.users.byId(user.id), null);
      assert.equal(await server.store.conversations.get(conv, user.id), null);
      assert.equal(await server.store.generations.listRunning(user.id).then((r) => r.length), 0);
      assert.ok(
        !server.logs.some((l) => l.includes('generation runner crashed') || l.includes('"level":50')),
      );
      // The engine is free again: another user's turn completes.
      const other = await server.signup();
      const conv2 = await newConversation(other.cookie);
      const { events: more } = await sendAndRead(other.cookie, conv2, (e) => e.event === 'done');
      assert.equal(more.at(-1)?.event, 'done');
    });
  });
}
