/**
 * No document content at rest or in logs (issue 13): canary text inside an uploaded PDF and DOCX (and in
 * their file names) is readable by its owner through the API, and absent from the server logs, every
 * file of the data dir (the SQLite database and its WAL included), and a pg_dump.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { ApiDocumentFile, ApiFileList, ApiPassage } from '../src/api/documents.ts';
import { makeDocx, makePdf } from '../src/inference/documents/testing.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';
import { assertAbsent, assertAbsentFromPgDump } from './canary-helpers.ts';
import { uploadFile } from './documents-helpers.ts';

async function everyFile(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath ?? e.path, e.name));
}

async function plant(s: TestServer): Promise<string[]> {
  const tag = randomBytes(6).toString('hex');
  const pdfCanary = `pdfcanary${tag}`;
  const docxCanary = `docxcanary${tag}`;
  const nameCanary = `namecanary${tag}`;
  const { cookie } = await s.signup(`docs-${tag}@example.com`);
  const pdf = await makePdf([`The first page mentions ${pdfCanary} once.`, 'Second page.']);
  const docx = await makeDocx([{ heading: 'Secrets' }, { text: `The handbook says ${docxCanary}.` }]);
  const conv = await s.request('/api/conversations', { method: 'POST', cookie, json: {} });
  const { id: conversationId } = (await conv.json()) as { id: string };

  let res = await uploadFile(s, cookie, `${nameCanary}.pdf`, pdf, `?conversationId=${conversationId}`);
  assert.equal(res.status, 201, await res.clone().text());
  const pdfFile = (await res.json()) as ApiDocumentFile;
  assert.equal(pdfFile.pages, 2);
  assert.equal(pdfFile.conversationId, conversationId);
  res = await uploadFile(s, cookie, 'handbook.docx', docx);
  assert.equal(res.status, 201, await res.clone().text());

  // The owner reads everything back: list, passage, download.
  const list = (await (await s.request('/api/files', { cookie })).json()) as ApiFileList;
  assert.deepEqual(list.files.map((f) => f.name).sort(), ['handbook.docx', `${nameCanary}.pdf`]);
  const chunks = await s.store.documents.chunks(
    pdfFile.id,
    (await s.store.users.byEmail(`docs-${tag}@example.com`))?.id ?? '',
  );
  const first = chunks?.[0];
  assert.ok(first);
  const passage = (await (await s.request(`/api/chunks/${first.id}`, { cookie })).json()) as ApiPassage;
  assert.match(passage.text, new RegExp(pdfCanary));
  assert.equal(passage.citation, `${nameCanary}.pdf p. 1`);
  const download = await s.request(`/api/files/${pdfFile.id}/content`, { cookie });
  assert.equal(download.status, 200);
  assert.deepEqual(new Uint8Array(await download.arrayBuffer()), pdf);
  assert.match(download.headers.get('content-disposition') ?? '', /attachment/);
  // The conversation's export carries its files: metadata, text and the bytes.
  const exported = await s.request(`/api/conversations/${conversationId}/export`, { cookie });
  assert.equal(exported.status, 200);
  const body = (await exported.json()) as {
    files?: Array<{ name: string; text: string; contentBase64: string }>;
  };
  assert.deepEqual(
    body.files?.map((f) => f.name),
    [`${nameCanary}.pdf`],
  );
  assert.match(body.files?.[0]?.text ?? '', new RegExp(pdfCanary));
  assert.deepEqual(new Uint8Array(Buffer.from(body.files?.[0]?.contentBase64 ?? '', 'base64')), pdf);
  return [pdfCanary, docxCanary, nameCanary];
}

describe('document canaries', () => {
  test('SQLite: not in the logs, the data dir, the database or its WAL', async () => {
    const s = await startTestServer({ config: { logLevel: 'trace' } });
    try {
      const canaries = await plant(s);
      assert.ok(s.logs.length > 5);
      assertAbsent(s.logs.join('\n'), canaries, 'server logs');
      const files = await everyFile(s.config.dataDir);
      assert.ok(files.some((f) => f.endsWith('ponder.db')));
      for (const file of files) assertAbsent(await readFile(file), canaries, file);
    } finally {
      await s.close();
    }
  });

  test('PostgreSQL: not in the logs, the data dir or a pg_dump', async () => {
    const s = await startTestServer({ store: 'postgres', config: { logLevel: 'trace' } });
    try {
      const canaries = await plant(s);
      assertAbsent(s.logs.join('\n'), canaries, 'server logs');
      for (const file of await everyFile(s.config.dataDir))
        assertAbsent(await readFile(file), canaries, file);
      assertAbsentFromPgDump(s.config.databaseUrl, canaries);
    } finally {
      await s.close();
    }
  });
});
