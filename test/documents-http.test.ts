/**
 * Documents over HTTP (issue 13): hostile and malformed uploads get a clear error with the right status
 * and the server keeps serving; limits are shown; collections are created, shared by an admin only, and
 * read by others once shared; a deleted file is gone from the API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type {
  ApiCollection,
  ApiCollectionDetail,
  ApiDocumentFile,
  ApiDocumentLimits,
} from '../src/api/documents.ts';
import { makeDocx, makePdf, makeZipBombDocx } from '../src/inference/documents/testing.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';
import { uploadFile } from './documents-helpers.ts';

const enc = (s: string) => new TextEncoder().encode(s);

describe('documents over HTTP', () => {
  let s: TestServer;
  let admin: string;
  let user: string;

  before(async () => {
    s = await startTestServer({
      config: {
        plans: {
          free: {
            reasoningMessagesPerDay: 5,
            tokensPerDay: 1000,
            maxConcurrency: 1,
            priority: 1,
            maxThinkingBudget: 100,
            documents: { maxFileBytes: 600_000, maxPages: 20, maxFiles: 8 },
          },
        },
        defaultPlan: 'free',
      },
    });
    admin = (await s.signup('admin@example.com')).cookie;
    user = (await s.signup('user@example.com')).cookie;
  });
  after(() => s.close());

  async function error(res: Response): Promise<{ status: number; code: string; message: string }> {
    const body = (await res.json()) as { error: { code: string; message: string } };
    return { status: res.status, ...body.error };
  }

  test('the plan limits are shown', async () => {
    const res = await s.request('/api/documents/limits', { cookie: user });
    assert.equal(res.status, 200);
    const limits = (await res.json()) as ApiDocumentLimits;
    assert.equal(limits.maxFileBytes, 600_000);
    assert.equal(limits.maxPages, 20);
    assert.equal(limits.maxFiles, 8);
    assert.equal(limits.usedFiles, 0);
    assert.ok(limits.accepted.includes('.pdf'));
  });

  test('hostile and malformed uploads: clear errors, the right status, the server lives on', async () => {
    const pdf = await makePdf(['A fine page.']);
    const cases: Array<[string, Uint8Array, number, string]> = [
      ['bomb.docx', makeZipBombDocx(80 * 1024 * 1024), 413, 'zip_bomb'],
      ['cut.pdf', pdf.slice(0, 200), 422, 'malformed'],
      ['report.pdf', await makeDocx([{ text: 'x' }]), 415, 'type_mismatch'],
      ['notes.txt', pdf, 415, 'type_mismatch'],
      ['tool.exe', enc('MZ'), 415, 'unsupported_type'],
      ['empty.md', new Uint8Array(), 422, 'empty'],
      ['many.pdf', await makePdf(Array.from({ length: 25 }, (_, i) => `p${i}`)), 413, 'too_many_pages'],
      ['huge.txt', enc('x'.repeat(700_000)), 413, 'too_large'],
    ];
    for (const [name, bytes, status, code] of cases) {
      const e = await error(await uploadFile(s, user, name, bytes));
      assert.equal(e.status, status, `${name}: ${JSON.stringify(e)}`);
      assert.equal(e.code, code, name);
      assert.ok(e.message.length > 10, name);
    }
    // Not multipart, extra fields, no file, a foreign conversation.
    let e = await error(await s.request('/api/files', { method: 'POST', cookie: user, json: {} }));
    assert.equal(e.status, 415);
    e = await error(await uploadFile(s, user, 'a.txt', enc('hi'), '', { conversationId: 'x' }));
    assert.equal(e.status, 400);
    assert.match(e.message, /conversationId/);
    e = await error(await uploadFile(s, user, 'a.txt', enc('hi'), '?folder=x'));
    assert.equal(e.status, 400);
    assert.match(e.message, /folder/);
    const conv = (await (
      await s.request('/api/conversations', { method: 'POST', cookie: admin, json: {} })
    ).json()) as {
      id: string;
    };
    e = await error(await uploadFile(s, user, 'a.txt', enc('hi'), `?conversationId=${conv.id}`));
    assert.equal(e.status, 404);
    // A traversal name is only a display name.
    const ok = await uploadFile(s, user, '../../../etc/passwd.txt', enc('root:x:0:0'));
    assert.equal(ok.status, 201);
    assert.equal(((await ok.json()) as ApiDocumentFile).name, 'passwd.txt');
    assert.equal((await s.request('/healthz')).status, 200);
  });

  test('collections: created, shared by an admin only, read by others once shared', async () => {
    let res = await s.request('/api/collections', {
      method: 'POST',
      cookie: admin,
      json: { name: 'Handbook' },
    });
    assert.equal(res.status, 201);
    const col = (await res.json()) as ApiCollection;
    res = await uploadFile(s, admin, 'handbook.md', enc('# Leave\nTwenty days.'), `?collectionId=${col.id}`);
    assert.equal(res.status, 201);
    const file = (await res.json()) as ApiDocumentFile;
    assert.equal((await s.request(`/api/collections/${col.id}`, { cookie: user })).status, 404);
    assert.equal((await s.request(`/api/files/${file.id}`, { cookie: user })).status, 404);

    const userCol = (await (
      await s.request('/api/collections', { method: 'POST', cookie: user, json: { name: 'Mine' } })
    ).json()) as ApiCollection;
    res = await s.request(`/api/collections/${userCol.id}`, {
      method: 'PATCH',
      cookie: user,
      json: { shared: true },
    });
    assert.equal(res.status, 403);
    res = await s.request(`/api/collections/${col.id}`, {
      method: 'PATCH',
      cookie: admin,
      json: { shared: true },
    });
    assert.equal(res.status, 200);
    res = await s.request(`/api/collections/${col.id}`, {
      method: 'PATCH',
      cookie: admin,
      json: { color: 'red' },
    });
    assert.equal(res.status, 400);

    const detail = (await (
      await s.request(`/api/collections/${col.id}`, { cookie: user })
    ).json()) as ApiCollectionDetail;
    assert.equal(detail.shared, true);
    assert.equal(detail.own, false);
    assert.deepEqual(
      detail.files.map((f) => [f.name, f.own]),
      [['handbook.md', false]],
    );
    // Readable, never changeable by others.
    assert.equal((await s.request(`/api/files/${file.id}`, { cookie: user })).status, 200);
    assert.equal((await s.request(`/api/files/${file.id}`, { method: 'DELETE', cookie: user })).status, 404);
    assert.equal(
      (await s.request(`/api/collections/${col.id}`, { method: 'PATCH', cookie: user, json: { name: 'x' } }))
        .status,
      404,
    );
    assert.equal(
      (await s.request(`/api/collections/${col.id}`, { method: 'DELETE', cookie: user })).status,
      404,
    );

    // The owner deletes the file: gone everywhere.
    assert.equal((await s.request(`/api/files/${file.id}`, { method: 'DELETE', cookie: admin })).status, 204);
    assert.equal((await s.request(`/api/files/${file.id}`, { cookie: admin })).status, 404);
    assert.equal(
      (await s.request(`/api/collections/${col.id}`, { method: 'DELETE', cookie: admin })).status,
      204,
    );
  });
});
