/**
 * Documents in a web turn over HTTP, on the real engine (generated tiny model) and store: a draft PDF
 * uploaded with `POST /api/files` and sent with the message (`documents.fileIds`) joins the conversation;
 * the stream shows the search_documents step with the right passage under its citation label before the
 * answer, and the saved conversation keeps it (what a reload shows); the passage opens by its chunk id.
 * The request field is checked: empty, unknown keys and another user's file are 400s naming the field.
 * On SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ConversationDetail } from '../src/api/conversations.ts';
import type { ApiDocumentFile, ApiPassage } from '../src/api/documents.ts';
import { makePdf } from '../src/inference/documents/testing.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';
import { collectSse } from './conversations-helpers.ts';

const TOPICS = ['otters', 'glaciers', 'volcanoes', 'lighthouses'];

for (const store of ['sqlite', 'postgres'] as const)
  describe(`documents in a web turn (real engine and store, ${store})`, { timeout: 240_000 }, () => {
    let server: TestServer;
    let alice: string;
    let bob: string;

    before(async () => {
      server = await startTestServer({ store, withModel: true, deps: { chat: { maxTokens: 32 } } });
      alice = (await server.signup('alice-docs@example.com', 'correct horse battery staple')).cookie;
      bob = (await server.signup('bob-docs@example.com', 'correct horse battery staple')).cookie;
    });
    after(async () => {
      await server?.close();
    });

    const upload = async (cookie: string, name: string, bytes: Uint8Array): Promise<ApiDocumentFile> => {
      const form = new FormData();
      form.append('file', new Blob([Buffer.from(bytes)]), name);
      const res = await server.request('/api/files', { method: 'POST', body: form, cookie });
      assert.equal(res.status, 201, await res.clone().text());
      return (await res.json()) as ApiDocumentFile;
    };
    const newConversation = async (cookie: string): Promise<string> => {
      const res = await server.request('/api/conversations', { method: 'POST', json: {}, cookie });
      return ((await res.json()) as { id: string }).id;
    };
    const send = (cookie: string, id: string, body: unknown) =>
      server.request(`/api/conversations/${id}/messages`, { method: 'POST', json: body, cookie });

    test('a draft PDF sent with the message: the step retrieves the right page, stored with the answer', async () => {
      const pdf = await makePdf(
        TOPICS.map((t, i) => `Fact ${i} about ${t}: the ${t} ledger number is ${1000 + i * 7}.`),
      );
      const file = await upload(alice, 'report.pdf', pdf);
      assert.equal(file.conversationId, null);
      const id = await newConversation(alice);
      const res = await send(alice, id, {
        content: 'What is the volcanoes ledger number?',
        thinking: { enabled: false },
        documents: { fileIds: [file.id] },
      });
      assert.equal(res.status, 200);
      const events = await collectSse(res);
      const types = events.map((e) => e.event);
      assert.ok(types.indexOf('tool_call') < types.indexOf('tool_result'));
      assert.ok(types.indexOf('tool_result') < types.lastIndexOf('done'));
      const call = events.find((e) => e.event === 'tool_call')?.data as { name: string };
      assert.equal(call.name, 'search_documents');
      const result = events.find((e) => e.event === 'tool_result')?.data as {
        content: string;
        isError: boolean;
      };
      assert.equal(result.isError, false);
      const header = /\[report\.pdf p\. 3\] \(passage ([A-Za-z0-9_-]{22})\)\n> .*1014/.exec(result.content);
      assert.ok(header, result.content);

      // The conversation keeps the step (a reload shows it) and now lists the file.
      const detail = (await (
        await server.request(`/api/conversations/${id}`, { cookie: alice })
      ).json()) as ConversationDetail;
      const answer = detail.messages.find((m) => m.role === 'assistant');
      assert.equal(answer?.toolSteps?.[0]?.name, 'search_documents');
      assert.equal(answer?.toolSteps?.[0]?.result?.content, result.content);
      const files = (await (
        await server.request(`/api/files?conversationId=${id}`, { cookie: alice })
      ).json()) as {
        files: ApiDocumentFile[];
      };
      assert.deepEqual(
        files.files.map((f) => f.id),
        [file.id],
      );

      // The citation's passage opens for its owner only.
      const chunkId = header[1] ?? '';
      const passage = await server.request(`/api/chunks/${chunkId}`, { cookie: alice });
      assert.equal(((await passage.json()) as ApiPassage).citation, 'report.pdf p. 3');
      assert.equal((await server.request(`/api/chunks/${chunkId}`, { cookie: bob })).status, 404);
    });

    test('the documents field is checked: empty, unknown keys, another user’s file', async () => {
      const id = await newConversation(alice);
      const empty = await send(alice, id, { content: 'x', documents: {} });
      assert.equal(empty.status, 400);
      assert.match(
        ((await empty.json()) as { error: { message: string } }).error.message,
        /^documents: documents needs fileIds or collectionIds/,
      );
      const unknown = await send(alice, id, { content: 'x', documents: { fileIds: ['a'], folders: ['b'] } });
      assert.equal(unknown.status, 400);
      assert.match(
        ((await unknown.json()) as { error: { message: string } }).error.message,
        /documents\.folders: unknown field/,
      );
      const theirs = await upload(bob, 'secret.md', new TextEncoder().encode('# Secret\n\nbob only'));
      const foreign = await send(alice, id, { content: 'x', documents: { fileIds: [theirs.id] } });
      assert.equal(foreign.status, 400);
      const body = (await foreign.json()) as { error: { message: string; details?: { field?: string } } };
      assert.equal(body.error.details?.field, 'documents.fileIds');
      assert.doesNotMatch(body.error.message, /secret/i);
      // Another user's (unshared) collection, or one that does not exist: the same 400.
      const bobs = (await (
        await server.request('/api/collections', { method: 'POST', json: { name: 'Bob only' }, cookie: bob })
      ).json()) as { id: string };
      for (const collectionId of [bobs.id, 'AAAAAAAAAAAAAAAAAAAAAA']) {
        const res = await send(alice, id, { content: 'x', documents: { collectionIds: [collectionId] } });
        assert.equal(res.status, 400);
        const err = (await res.json()) as { error: { details?: { field?: string } } };
        assert.equal(err.error.details?.field, 'documents.collectionIds');
      }
      const detail = (await (
        await server.request(`/api/conversations/${id}`, { cookie: alice })
      ).json()) as ConversationDetail;
      assert.deepEqual(detail.messages, [], 'nothing was stored');
    });
  });
