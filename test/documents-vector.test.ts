/**
 * Documents through the vector path (issue 13): a running Ponder whose embedded engine serves the
 * generated `embed-tiny` embedding model (random weights: vectors are noise, but deterministic). Uploads
 * are embedded; identical text finds itself first through the vector ranking alone; hybrid search still
 * ranks a keyword hit first; vectors are stored encrypted like the text.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import type { ApiDocumentFile, ApiDocumentLimits, ApiDocumentSearch } from '../src/api/documents.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';
import { uploadFile } from './documents-helpers.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const WORDS =
  'amber basil cedar delta ember fjord garnet harbor indigo juniper kelp lumen meadow nectar onyx prism quartz'.split(
    ' ',
  );

/** Sections that share most of their words, so only the exact text pins one down. */
function corpus(n: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const words = Array.from({ length: 12 }, (_, j) => WORDS[(i * 7 + j * 3) % WORDS.length]);
    return `${words.join(' ')} section${i}.`;
  });
}

describe('documents: vector path on the generated embedding model', () => {
  let s: TestServer;
  let cookie: string;
  let file: ApiDocumentFile;
  const sections = corpus(24);

  before(async () => {
    s = await startTestServer({ withEmbeddingModel: true });
    cookie = (await s.signup()).cookie;
    const md = sections.map((text, i) => `## Part ${i}\n\n${text}`).join('\n\n');
    const res = await uploadFile(s, cookie, 'corpus.md', enc(md));
    assert.equal(res.status, 201, await res.clone().text());
    file = (await res.json()) as ApiDocumentFile;
  });
  after(() => s?.close());

  async function search(body: object): Promise<ApiDocumentSearch> {
    const res = await s.request('/api/documents/search', { method: 'POST', cookie, json: body });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as ApiDocumentSearch;
  }

  test('uploads are embedded and the limits say vector search is on', async () => {
    assert.equal(file.embedded, true);
    assert.equal(file.chunks, sections.length);
    const limits = (await (await s.request('/api/documents/limits', { cookie })).json()) as ApiDocumentLimits;
    assert.equal(limits.vectorSearch, true);
    const chunks = (await s.store.documents.chunks(file.id, (await s.store.users.list())[0]?.id ?? '')) ?? [];
    assert.equal(chunks[0]?.vector?.length, 128);
  });

  test('identical text finds itself first through the vector ranking alone', async () => {
    for (const i of [0, 7, 23]) {
      // The chunk text is the heading line plus the section (what was embedded).
      const result = await search({
        fileIds: [file.id],
        query: `Part ${i}\n## Part ${i}\n\n${sections[i]}`,
        mode: 'vector',
      });
      assert.equal(result.vector, true);
      const top = result.passages[0];
      assert.equal(
        top?.heading,
        `Part ${i}`,
        JSON.stringify(result.passages.slice(0, 3).map((p) => p.heading)),
      );
    }
  });

  test('hybrid search fuses both rankings; keyword mode stays keyword only', async () => {
    const hybrid = await search({ fileIds: [file.id], query: 'section13' });
    assert.equal(hybrid.vector, true);
    assert.equal(hybrid.passages[0]?.heading, 'Part 13');
    const keyword = await search({ fileIds: [file.id], query: 'section13', mode: 'keyword' });
    assert.equal(keyword.vector, false);
    assert.equal(keyword.passages.length, 1);
  });
});

describe('documents: the opt-in plaintext vector index', () => {
  test('SQLite: a shared collection is indexed in its own file and searched there; unsharing empties it', async () => {
    const s = await startTestServer({
      withEmbeddingModel: true,
      config: { documents: { plaintextVectorIndex: true } },
    });
    try {
      const { cookie } = await s.signup('admin@example.com');
      const col = (await (
        await s.request('/api/collections', { method: 'POST', cookie, json: { name: 'Shared handbook' } })
      ).json()) as { id: string };
      const sections = corpus(10);
      const canary = `vicanary${Date.now()}`;
      const md = sections.map((text, i) => `## Part ${i}\n\n${text} ${canary}`).join('\n\n');
      const up = await uploadFile(s, cookie, 'handbook.md', enc(md), `?collectionId=${col.id}`);
      assert.equal(up.status, 201);
      const share = await s.request(`/api/collections/${col.id}`, {
        method: 'PATCH',
        cookie,
        json: { shared: true },
      });
      assert.equal(share.status, 200);

      const indexFile = join(s.config.dataDir, 'vector-index.db');
      const count = () => {
        const db = new BetterSqlite3(indexFile, { readonly: true });
        try {
          return (db.prepare('select count(*) as n from entries').get() as { n: number }).n;
        } finally {
          db.close();
        }
      };
      assert.equal(count(), sections.length);
      // Embeddings are plaintext there, the text is not.
      const raw = Buffer.concat(
        ['', '-wal'].filter((x) => existsSync(indexFile + x)).map((x) => readFileSync(indexFile + x)),
      );
      assert.equal(raw.indexOf(canary), -1);

      const res = await s.request('/api/documents/search', {
        method: 'POST',
        cookie,
        json: {
          collectionIds: [col.id],
          query: `Part 4\n## Part 4\n\n${sections[4]} ${canary}`,
          mode: 'vector',
        },
      });
      const found = (await res.json()) as ApiDocumentSearch;
      assert.equal(found.vector, true);
      assert.equal(found.passages[0]?.heading, 'Part 4');

      await s.request(`/api/collections/${col.id}`, { method: 'PATCH', cookie, json: { shared: false } });
      assert.equal(count(), 0);
    } finally {
      await s.close();
    }
  });

  test('PostgreSQL without pgvector: sharing answers 503 saying why', async () => {
    const s = await startTestServer({
      store: 'postgres',
      config: { documents: { plaintextVectorIndex: true } },
    });
    try {
      const { cookie } = await s.signup('admin@example.com');
      const col = (await (
        await s.request('/api/collections', { method: 'POST', cookie, json: { name: 'C' } })
      ).json()) as { id: string };
      const res = await s.request(`/api/collections/${col.id}`, {
        method: 'PATCH',
        cookie,
        json: { shared: true },
      });
      assert.equal(res.status, 503);
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'unavailable');
      assert.match(body.error.message, /pgvector/);
      const after = (await (await s.request(`/api/collections/${col.id}`, { cookie })).json()) as {
        shared: boolean;
      };
      assert.equal(after.shared, false);
    } finally {
      await s.close();
    }
  });
});
