/**
 * The scripted web-app flow over HTTP on a real server with the embedded engine, on SQLite and PostgreSQL:
 * sign up → conversation → message (SSE) → reload → edit (branch) → regenerate (sibling) → another user
 * sees none of it. Plus title, search, export, models and validation. Structure only, never wording.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ConversationDetail, Message } from '../src/api/conversations.ts';
import {
  type ChatTestServer,
  collectSse,
  metaOf,
  startChatServer,
  THINK,
  textOf,
} from './conversations-helpers.ts';

for (const storeKind of ['sqlite', 'postgres'] as const) {
  describe(`conversations over HTTP (${storeKind})`, () => {
    let server: ChatTestServer;
    before(async () => {
      server = await startChatServer(storeKind, { maxTokens: 64 });
    });
    after(async () => {
      await server?.close();
    });

    async function send(cookie: string, conversationId: string, body: object): Promise<Response> {
      return server.request(`/api/conversations/${conversationId}/messages`, {
        method: 'POST',
        cookie,
        json: body,
      });
    }

    async function load(cookie: string, id: string): Promise<ConversationDetail> {
      const res = await server.request(`/api/conversations/${id}`, { cookie });
      assert.equal(res.status, 200);
      return (await res.json()) as ConversationDetail;
    }

    test('send, reload, edit into a branch, regenerate a sibling; another user gets 404 everywhere', async () => {
      const alice = await server.signup();
      const created = await server.request('/api/conversations', {
        method: 'POST',
        cookie: alice.cookie,
        json: {},
      });
      assert.equal(created.status, 201);
      const conv = (await created.json()) as { id: string; title: string };
      assert.equal(conv.title, '');

      const first = await send(alice.cookie, conv.id, {
        content: 'Why is the sky blue? zebracorn',
        thinking: THINK,
      });
      assert.equal(first.status, 200);
      assert.match(first.headers.get('content-type') ?? '', /^text\/event-stream/);
      assert.equal(first.headers.get('cache-control'), 'no-cache, no-transform');
      assert.equal(first.headers.get('x-accel-buffering'), 'no');
      const events = await collectSse(first);
      assert.equal(events[0]?.event, 'meta');
      assert.equal(events.at(-1)?.event, 'done');
      assert.ok(events.some((e) => e.event === 'reasoning'));
      assert.ok(events.some((e) => e.event === 'text'));
      assert.ok(events.some((e) => e.event === 'usage'));
      assert.deepEqual(
        events.map((e) => e.id),
        events.map((_, i) => i + 1),
      );
      assert.deepEqual(events.at(-1)?.data, { finishReason: 'length' });
      const meta = metaOf(events);
      assert.equal(meta.conversationId, conv.id);
      assert.equal(meta.model, 'tiny');

      // Reload: both messages, the answer saved in full with its usage and reasoning time.
      let detail = await load(alice.cookie, conv.id);
      assert.equal(detail.title, 'Why is the sky blue? zebracorn');
      assert.equal(detail.messages.length, 2);
      const [question, answer] = detail.messages as [Message, Message];
      assert.equal(question.id, meta.userMessageId);
      assert.equal(question.role, 'user');
      assert.equal(question.parentId, null);
      assert.equal(answer.id, meta.assistantMessageId);
      assert.equal(answer.parentId, question.id);
      assert.equal(answer.status, 'complete');
      assert.equal(answer.generationId, meta.generationId);
      const streamed = textOf(events);
      assert.equal(answer.content, streamed.text);
      assert.equal(answer.reasoning, streamed.reasoning);
      assert.equal(typeof answer.reasoningMs, 'number');
      // Budget 8: the count may include the `</think>` that closes the reasoning when the model samples it itself.
      const reasoningTokens = answer.usage?.reasoningTokens ?? 0;
      assert.ok(reasoningTokens >= 1 && reasoningTokens <= 9, `reasoning tokens: ${reasoningTokens}`);
      assert.equal(detail.activeGenerationId, undefined);

      // A follow-up goes after the last message by default.
      const follow = await collectSse(
        await send(alice.cookie, conv.id, { content: 'and at sunset?', thinking: THINK }),
      );
      const followMeta = metaOf(follow);
      detail = await load(alice.cookie, conv.id);
      assert.equal(detail.messages.find((m) => m.id === followMeta.userMessageId)?.parentId, answer.id);

      // Edit the first message: a sibling root branch.
      const edited = await collectSse(
        await send(alice.cookie, conv.id, {
          content: 'Why is grass green?',
          parentId: null,
          thinking: THINK,
        }),
      );
      const editMeta = metaOf(edited);
      detail = await load(alice.cookie, conv.id);
      const roots = detail.messages.filter((m) => m.parentId === null);
      assert.equal(roots.length, 2);
      assert.ok(roots.some((m) => m.id === editMeta.userMessageId));
      assert.equal(detail.title, 'Why is the sky blue? zebracorn', 'an edit does not retitle');

      // Regenerate the first answer: a new assistant sibling under the same question.
      const regen = await server.request(`/api/conversations/${conv.id}/messages/${answer.id}/regenerate`, {
        method: 'POST',
        cookie: alice.cookie,
        json: { thinking: THINK },
      });
      assert.equal(regen.status, 200);
      const regenEvents = await collectSse(regen);
      const regenMeta = metaOf(regenEvents);
      assert.equal(regenMeta.userMessageId, question.id);
      detail = await load(alice.cookie, conv.id);
      const answers = detail.messages.filter((m) => m.parentId === question.id);
      assert.equal(answers.length, 2);
      assert.ok(answers.every((m) => m.role === 'assistant' && m.status === 'complete'));
      assert.equal(detail.messages.length, 7);

      // A finished generation replays from its start (events kept in memory).
      const replay = await collectSse(
        await server.request(`/api/generations/${meta.generationId}/events`, { cookie: alice.cookie }),
      );
      assert.equal(replay[0]?.event, 'meta');
      assert.equal(replay.at(-1)?.event, 'done');
      assert.equal(textOf(replay).text, answer.content);

      // Another user: 404 on every route, and none of it in listings or search.
      const bob = await server.signup();
      const base = `/api/conversations/${conv.id}`;
      const probes: Array<[string, string, object | undefined]> = [
        ['GET', base, undefined],
        ['PATCH', base, { title: 'mine now' }],
        ['GET', `${base}/export?format=json`, undefined],
        ['GET', `${base}/export?format=markdown`, undefined],
        ['POST', `${base}/messages`, { content: 'hello' }],
        ['POST', `${base}/messages/${answer.id}/regenerate`, {}],
        ['GET', `/api/generations/${meta.generationId}/events`, undefined],
        ['POST', `/api/generations/${meta.generationId}/stop`, undefined],
        ['DELETE', base, undefined],
      ];
      for (const [method, path, json] of probes) {
        const res = await server.request(path, { method, cookie: bob.cookie, ...(json ? { json } : {}) });
        assert.equal(res.status, 404, `${method} ${path}`);
        const body = (await res.json()) as { error: { code: string } };
        assert.equal(body.error.code, 'not_found');
      }
      const bobList = (await (await server.request('/api/conversations', { cookie: bob.cookie })).json()) as {
        conversations: unknown[];
      };
      assert.deepEqual(bobList.conversations, []);
      const bobSearch = await server.request('/api/conversations/search?q=zebracorn', { cookie: bob.cookie });
      assert.deepEqual(await bobSearch.json(), { results: [] });
      const bobExport = (await (await server.request('/api/export', { cookie: bob.cookie })).json()) as {
        conversations: unknown[];
      };
      assert.deepEqual(bobExport.conversations, []);
      // Anonymous: 401.
      assert.equal((await server.request(base)).status, 401);
      // Still Alice's, unchanged.
      assert.equal((await load(alice.cookie, conv.id)).messages.length, 7);

      // Search finds it by a word of the message, for Alice.
      const found = (await (
        await server.request('/api/conversations/search?q=zebracorn', { cookie: alice.cookie })
      ).json()) as { results: Array<{ conversationId: string; snippet: string }> };
      assert.ok(found.results.some((r) => r.conversationId === conv.id));

      // Exports: a JSON and a Markdown download, and everything at once.
      const json = await server.request(`${base}/export?format=json`, { cookie: alice.cookie });
      assert.equal(json.status, 200);
      assert.match(json.headers.get('content-disposition') ?? '', /^attachment; filename="ponder-.+\.json"/);
      const exported = (await json.json()) as { format: string; conversation: ConversationDetail };
      assert.equal(exported.format, 'ponder.conversation');
      assert.equal(exported.conversation.messages.length, 7);
      const md = await server.request(`${base}/export?format=markdown`, { cookie: alice.cookie });
      assert.match(md.headers.get('content-type') ?? '', /^text\/markdown/);
      assert.match(md.headers.get('content-disposition') ?? '', /\.md"/);
      const mdText = await md.text();
      assert.ok(mdText.startsWith('# Why is the sky blue? zebracorn'));
      assert.ok(mdText.includes('## User'));
      assert.ok(mdText.includes('## Assistant'));
      const all = await server.request('/api/export', { cookie: alice.cookie });
      assert.match(all.headers.get('content-disposition') ?? '', /^attachment;/);
      const allBody = (await all.json()) as { format: string; conversations: ConversationDetail[] };
      assert.equal(allBody.format, 'ponder.export');
      assert.equal(allBody.conversations.length, 1);

      // Rename, list, delete.
      const renamed = await server.request(base, {
        method: 'PATCH',
        cookie: alice.cookie,
        json: { title: 'Skies' },
      });
      assert.equal(((await renamed.json()) as { title: string }).title, 'Skies');
      const list = (await (await server.request('/api/conversations', { cookie: alice.cookie })).json()) as {
        conversations: Array<{ id: string; title: string }>;
        nextCursor: string | null;
      };
      assert.deepEqual(
        list.conversations.map((c) => [c.id, c.title]),
        [[conv.id, 'Skies']],
      );
      assert.equal(list.nextCursor, null);
      assert.equal((await server.request(base, { method: 'DELETE', cookie: alice.cookie })).status, 204);
      assert.equal((await server.request(base, { cookie: alice.cookie })).status, 404);
    });

    test('a title given by the user wins over the automatic one; listing pages newest first', async () => {
      const { cookie } = await server.signup();
      const ids: string[] = [];
      for (const title of ['one', 'two', 'three']) {
        const res = await server.request('/api/conversations', { method: 'POST', cookie, json: { title } });
        ids.push(((await res.json()) as { id: string }).id);
      }
      await collectSse(
        await send(cookie, ids[0]!, { content: 'a question that would make a title', thinking: THINK }),
      );
      assert.equal((await load(cookie, ids[0]!)).title, 'one');
      const page1 = (await (await server.request('/api/conversations?limit=2', { cookie })).json()) as {
        conversations: Array<{ id: string }>;
        nextCursor: string;
      };
      assert.deepEqual(
        page1.conversations.map((c) => c.id),
        [ids[0], ids[2]],
      );
      const page2 = (await (
        await server.request(`/api/conversations?limit=2&cursor=${encodeURIComponent(page1.nextCursor)}`, {
          cookie,
        })
      ).json()) as { conversations: Array<{ id: string }>; nextCursor: string | null };
      assert.deepEqual(
        page2.conversations.map((c) => c.id),
        [ids[1]],
      );
      assert.equal(page2.nextCursor, null);
    });

    test('bad input answers 400 before anything is stored; models are listed', async () => {
      const { cookie } = await server.signup();
      const res = await server.request('/api/conversations', { method: 'POST', cookie, json: {} });
      const { id } = (await res.json()) as { id: string };
      const bad: Array<[object, string]> = [
        [{ content: '' }, 'content'],
        [{ content: 'x'.repeat(100_001) }, 'content'],
        [{ content: 'hi', parentId: 'nope' }, 'parentId'],
        [{ content: 'hi', model: 'no-such-model' }, 'model'],
        [{ content: 'hi', extra: 1 }, 'extra'],
        [{ content: 'hi', thinking: { enabled: 'yes' } }, 'thinking.enabled'],
      ];
      for (const [body, field] of bad) {
        const answer = await send(cookie, id, body);
        assert.equal(answer.status, 400, JSON.stringify(body).slice(0, 60));
        const error = ((await answer.json()) as { error: { code: string; details?: { field?: string } } })
          .error;
        assert.equal(error.code, 'invalid_request');
        assert.equal(error.details?.field, field);
      }
      assert.equal((await load(cookie, id)).messages.length, 0);
      assert.equal((await send(cookie, 'unknown-conversation', { content: 'hi' })).status, 404);

      const models = (await (await server.request('/api/models', { cookie })).json()) as {
        models: Array<{ id: string; provider: string; state: string }>;
        defaultModel: string;
      };
      assert.equal(models.defaultModel, 'tiny');
      assert.deepEqual(
        models.models.map((m) => [m.id, m.provider]),
        [['tiny', 'embedded']],
      );
      assert.equal((await server.request('/api/models')).status, 401);
    });
  });
}
