/**
 * Store contract for documents (issue 13), run by the SQLite and PostgreSQL suites: files, chunks and
 * collections round-trip; nothing with content is readable at rest; another user's files behave as
 * unknown unless in a shared collection; deleting a file, a collection or the account removes it all.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StoreError } from './errors.ts';
import { type ContractEnv, newUser, storeError, uniq } from './store-contract.ts';
import type { CreateDocumentFileInput, Store } from './types.ts';

function vec(...xs: number[]): Float32Array {
  const v = new Float32Array(xs);
  const n = Math.hypot(...xs);
  for (let i = 0; i < v.length; i++) v[i] = (v[i] ?? 0) / n;
  return v;
}

function fileInput(userId: string, canary: string, extra: Partial<CreateDocumentFileInput> = {}) {
  return {
    userId,
    name: `secret-${canary}.pdf`,
    kind: 'pdf' as const,
    mediaType: 'application/pdf',
    content: Buffer.from(`%PDF-1.7 bytes ${canary} end`),
    text: `Page one ${canary}.\n\nPage two.`,
    pages: 2,
    tokens: 12,
    embeddingModel: 'embed-test',
    chunks: [
      { text: `Page one ${canary}.`, heading: `Heading ${canary}`, page: 1, tokens: 6, vector: vec(1, 2, 3) },
      { text: 'Page two.', page: 2, tokens: 3, vector: vec(3, 2, 1) },
    ],
    ...extra,
  } satisfies CreateDocumentFileInput;
}

export function documentsContract({ store: s, h }: ContractEnv): void {
  describe('documents', () => {
    test('a file round-trips with its chunks, bytes, text and vectors', async () => {
      const store: Store = s();
      const u = await newUser(store, 'doc');
      const canary = `canary${uniq()}`;
      const conv = await store.conversations.create({ userId: u.id });
      const file = await store.documents.createFile(fileInput(u.id, canary, { conversationId: conv.id }));
      assert.equal(file.name, `secret-${canary}.pdf`);
      assert.equal(file.chunkCount, 2);
      assert.equal(file.pages, 2);
      assert.equal(file.conversationId, conv.id);
      const chunks = await store.documents.chunks(file.id, u.id);
      assert.ok(chunks);
      assert.deepEqual(
        chunks.map((c) => [c.seq, c.page, c.heading]),
        [
          [0, 1, `Heading ${canary}`],
          [1, 2, null],
        ],
      );
      assert.deepEqual([...(chunks[0]?.vector ?? [])], [...vec(1, 2, 3)]);
      const content = await store.documents.fileContent(file.id, u.id);
      assert.equal(content?.content.toString(), `%PDF-1.7 bytes ${canary} end`);
      assert.equal((await store.documents.fileText(file.id, u.id))?.text, `Page one ${canary}.\n\nPage two.`);
      const one = await store.documents.chunk(chunks[1]?.id ?? '', u.id);
      assert.equal(one?.chunk.text, 'Page two.');
      assert.equal(one?.file.id, file.id);
      assert.deepEqual(
        (await store.documents.listFiles(u.id, { conversationId: conv.id })).map((f) => f.id),
        [file.id],
      );
      assert.deepEqual(await store.documents.usage(u.id), { files: 1, bytes: file.sizeBytes });

      // At rest: neither the name, text, heading nor bytes appear anywhere.
      const dump = await h().dumpAtRest();
      assert.equal(dump.includes(canary), false, 'document content readable at rest');
    });

    test("another user's file behaves as unknown; foreign parents are refused", async () => {
      const store = s();
      const a = await newUser(store, 'doca');
      const b = await newUser(store, 'docb');
      const file = await store.documents.createFile(fileInput(a.id, uniq()));
      const chunks = await store.documents.chunks(file.id, a.id);
      assert.equal(await store.documents.getFile(file.id, b.id), null);
      assert.equal(await store.documents.chunks(file.id, b.id), null);
      assert.equal(await store.documents.chunk(chunks?.[0]?.id ?? '', b.id), null);
      assert.equal(await store.documents.fileContent(file.id, b.id), null);
      assert.equal(await store.documents.fileText(file.id, b.id), null);
      assert.equal(await store.documents.deleteFile(file.id, b.id), false);
      assert.deepEqual(await store.documents.selectFiles(b.id, { fileIds: [file.id] }), []);
      const convB = await store.conversations.create({ userId: b.id });
      await assert.rejects(store.documents.attachFiles(b.id, [file.id], convB.id), storeError('not_found'));
      const convA = await store.conversations.create({ userId: a.id });
      await assert.rejects(
        store.documents.createFile(fileInput(b.id, uniq(), { conversationId: convA.id })),
        storeError('not_found'),
      );
      const colA = await store.documents.createCollection({ userId: a.id, name: 'A' });
      await assert.rejects(
        store.documents.createFile(fileInput(b.id, uniq(), { collectionId: colA.id })),
        storeError('not_found'),
      );
      assert.equal(await store.documents.getFile('not-an-id', a.id), null);
    });

    test('a shared collection is readable by everyone, changed only by its owner', async () => {
      const store = s();
      const owner = await newUser(store, 'own');
      const other = await newUser(store, 'oth');
      const col = await store.documents.createCollection({ userId: owner.id, name: `Handbook ${uniq()}` });
      const file = await store.documents.createFile(fileInput(owner.id, uniq(), { collectionId: col.id }));
      assert.equal(await store.documents.getCollection(col.id, other.id), null);
      assert.deepEqual(await store.documents.selectFiles(other.id, { collectionIds: [col.id] }), []);
      const shared = await store.documents.updateCollection(col.id, owner.id, { shared: true });
      assert.equal(shared?.shared, true);
      assert.equal((await store.documents.getCollection(col.id, other.id))?.name, col.name);
      assert.ok((await store.documents.listCollections(other.id)).some((c) => c.id === col.id));
      assert.deepEqual(
        (await store.documents.selectFiles(other.id, { collectionIds: [col.id] })).map((f) => f.id),
        [file.id],
      );
      assert.equal((await store.documents.chunks(file.id, other.id))?.length, 2);
      assert.equal(await store.documents.updateCollection(col.id, other.id, { name: 'mine' }), null);
      assert.equal(await store.documents.deleteCollection(col.id, other.id), false);
      assert.equal(await store.documents.deleteFile(file.id, other.id), false);
      assert.deepEqual(await store.documents.listFiles(other.id), []);
      assert.equal(await store.documents.deleteCollection(col.id, owner.id), true);
      assert.equal(await store.documents.getFile(file.id, owner.id), null);
    });

    test('attaching draft files to a conversation', async () => {
      const store = s();
      const u = await newUser(store, 'att');
      const conv = await store.conversations.create({ userId: u.id });
      const draft = await store.documents.createFile(fileInput(u.id, uniq()));
      assert.deepEqual(
        (await store.documents.listFiles(u.id, { unattached: true })).map((f) => f.id),
        [draft.id],
      );
      await store.documents.attachFiles(u.id, [draft.id], conv.id);
      assert.equal((await store.documents.getFile(draft.id, u.id))?.conversationId, conv.id);
      await store.documents.attachFiles(u.id, [draft.id], conv.id); // idempotent
      const other = await store.conversations.create({ userId: u.id });
      await assert.rejects(store.documents.attachFiles(u.id, [draft.id], other.id), storeError('not_found'));
      assert.deepEqual(
        (await store.documents.selectFiles(u.id, { conversationIds: [conv.id] })).map((f) => f.id),
        [draft.id],
      );
      // Deleting the conversation deletes its files.
      await store.conversations.delete(conv.id, u.id);
      assert.equal(await store.documents.getFile(draft.id, u.id), null);
    });

    test('a chunk ciphertext moved to another row does not decrypt', async () => {
      const store = s();
      const u = await newUser(store, 'swap');
      const file = await store.documents.createFile(fileInput(u.id, uniq()));
      const chunks = (await store.documents.chunks(file.id, u.id)) ?? [];
      const [first, second] = chunks;
      assert.ok(first && second);
      const rows = await h().raw('select body from document_chunks where id = ?', [first.id]);
      await h().raw('update document_chunks set body = ? where id = ?', [rows[0]?.body, second.id]);
      await assert.rejects(
        store.documents.chunks(file.id, u.id),
        (err: unknown) => err instanceof StoreError,
      );
    });

    test('bad input is a validation error; deleting the account removes every row', async () => {
      const store = s();
      const u = await newUser(store, 'del');
      await assert.rejects(
        store.documents.createFile(fileInput(u.id, uniq(), { name: 'a\u0000b' })),
        storeError('validation'),
      );
      await assert.rejects(
        store.documents.createFile(
          fileInput(u.id, uniq(), {
            chunks: [
              { text: 'x', tokens: 1, vector: vec(1, 2) },
              { text: 'y', tokens: 1, vector: vec(1, 2, 3) },
            ],
          }),
        ),
        storeError('validation'),
      );
      await assert.rejects(
        store.documents.createCollection({ userId: u.id, name: '   ' }),
        storeError('validation'),
      );
      const col = await store.documents.createCollection({ userId: u.id, name: 'C' });
      await store.documents.createFile(fileInput(u.id, uniq(), { collectionId: col.id }));
      await store.documents.createFile(fileInput(u.id, uniq()));
      await store.users.delete(u.id);
      for (const table of ['document_collections', 'document_files', 'document_chunks']) {
        const rows = await h().raw(`select count(*) as n from ${table} where user_id = ?`, [u.id]);
        assert.equal(Number(rows[0]?.n), 0, table);
      }
    });
  });
}
