/**
 * DocumentService on a real SQLite store with the real parsers: uploads, limits, collections and
 * sharing, and retrieval of the right passage from a generated corpus through the keyword path. The
 * vector path with the engine's generated embedding model is in test/documents-vector.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_PLANS } from '../../config/schema.ts';
import { DocumentError, parseDocument } from '../../inference/documents/index.ts';
import { makeDocx, makePdf } from '../../inference/documents/testing.ts';
import { openStore } from '../../store/index.ts';
import type { Store } from '../../store/types.ts';
import { PlanCatalog } from '../quotas/plans.ts';
import { DocumentService, type DocumentUser } from './document-service.ts';
import { DocumentServiceError } from './errors.ts';

const enc = (s: string) => new TextEncoder().encode(s);

/** A generated corpus: each topic's facts on its own page / section, among filler about other things. */
const TOPICS = ['otters', 'glaciers', 'volcanoes', 'lighthouses', 'bees', 'comets', 'tides', 'cacti'];
const fact = (t: string, i: number) => `Fact ${i} about ${t}: the ${t} ledger number is ${1000 + i * 7}.`;

describe('DocumentService', () => {
  let dir: string;
  let store: Store;
  let service: DocumentService;
  let alice: DocumentUser;
  let bob: DocumentUser;
  let admin: DocumentUser;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ponder-docs-'));
    store = await openStore({ dataDir: dir });
    const plans = new PlanCatalog(
      { ...DEFAULT_PLANS, tiny: { ...DEFAULT_PLANS.free, documents: { maxFiles: 2, maxFileBytes: 4000 } } },
      'free',
    );
    service = new DocumentService({ store, plans, parse: parseDocument, chunkTokens: 120 });
    const mk = async (tag: string, isAdmin = false, plan = 'free') => {
      const u = await store.users.create({ email: `${tag}@example.test`, passwordHash: 'x', plan, isAdmin });
      return { id: u.id, plan, isAdmin };
    };
    alice = await mk('alice');
    bob = await mk('bob');
    admin = await mk('admin', true);
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('keyword retrieval returns the right passage with its citation', async () => {
    const conv = await store.conversations.create({ userId: alice.id });
    const pdf = await makePdf(TOPICS.map((t, i) => [fact(t, i), `Unrelated filler line ${i}.`].join('\n')));
    const report = await service.upload(alice, { name: 'report.pdf', bytes: pdf, conversationId: conv.id });
    assert.equal(report.pages, TOPICS.length);
    const md = TOPICS.map(
      (t, i) => `## ${t}\n\nNotes ${i}: ${t} are discussed here with the code word zebra${i}.`,
    ).join('\n\n');
    await service.upload(alice, { name: 'notes.md', bytes: enc(md), conversationId: conv.id });
    const scopes = [{ kind: 'conversation' as const, conversationId: conv.id }];

    const hits = await service.retrieve(alice.id, { scopes, query: 'volcanoes ledger number', limit: 3 });
    assert.equal(hits[0]?.fileId, report.id);
    assert.equal(hits[0]?.page, 3);
    assert.equal(hits[0]?.citation, 'report.pdf p. 3');
    assert.match(hits[0]?.text ?? '', /1014/);

    const byHeading = await service.retrieve(alice.id, { scopes, query: 'zebra5' });
    assert.equal(byHeading[0]?.citation, 'notes.md § comets');

    // The passage popover: the owner sees it, another user does not.
    const chunkId = hits[0]?.chunkId ?? '';
    assert.equal((await service.passage(alice.id, chunkId))?.citation, 'report.pdf p. 3');
    assert.equal(await service.passage(bob.id, chunkId), null);
    assert.deepEqual(await service.retrieve(bob.id, { scopes, query: 'volcanoes' }), []);
    assert.deepEqual(
      await service.retrieve(bob.id, {
        scopes: [{ kind: 'files', fileIds: [report.id] }],
        query: 'volcanoes',
      }),
      [],
    );

    const whole = await service.wholeDocuments(alice.id, scopes);
    assert.deepEqual(
      whole.map((w) => w.fileName),
      ['report.pdf', 'notes.md'],
    );
    assert.ok(whole[0]?.tokens && whole[0].tokens > 10);

    // Deleting the file drops it from retrieval at once (cache included).
    assert.equal(await service.deleteFile(alice.id, report.id), true);
    const after = await service.retrieve(alice.id, { scopes, query: 'volcanoes ledger number' });
    assert.ok(after.every((p) => p.fileId !== report.id));
  });

  test('collections: own, shared by an admin only, readable by all once shared', async () => {
    const mine = await service.createCollection(alice.id, 'Alice notes');
    await assert.rejects(
      service.updateCollection(alice, mine.id, { shared: true }),
      (e: unknown) => e instanceof DocumentServiceError && e.code === 'forbidden',
    );
    const handbook = await service.createCollection(admin.id, 'Handbook');
    const docx = await makeDocx([
      { heading: 'Holidays' },
      { text: 'Everyone gets twenty-seven holiday days.' },
    ]);
    await service.upload(admin, { name: 'handbook.docx', bytes: docx, collectionId: handbook.id });
    const scopes = [{ kind: 'collection' as const, collectionId: handbook.id }];
    assert.deepEqual(await service.retrieve(bob.id, { scopes, query: 'holiday days' }), []);
    await service.updateCollection(admin, handbook.id, { shared: true });
    const hits = await service.retrieve(bob.id, { scopes, query: 'holiday days' });
    assert.equal(hits[0]?.citation, 'handbook.docx § Holidays');
    await assert.rejects(
      service.upload(bob, { name: 'x.md', bytes: enc('# x'), collectionId: handbook.id }),
      (e: unknown) => e instanceof DocumentServiceError && e.code === 'not_found',
    );
    await assert.rejects(
      service.updateCollection(bob, handbook.id, { name: 'mine now' }),
      (e: unknown) => e instanceof DocumentServiceError && e.code === 'not_found',
    );
    // Un-sharing takes effect on the next query.
    await service.updateCollection(admin, handbook.id, { shared: false });
    assert.deepEqual(await service.retrieve(bob.id, { scopes, query: 'holiday days' }), []);
  });

  test('plan limits and parser refusals', async () => {
    const u = await store.users.create({ email: 'tiny@example.test', passwordHash: 'x', plan: 'tiny' });
    const tiny = { id: u.id, plan: 'tiny', isAdmin: false };
    const view = await service.limits(tiny);
    assert.equal(view.maxFiles, 2);
    assert.equal(view.maxFileBytes, 4000);
    assert.equal(view.maxPages, 500);
    assert.equal(view.vectorSearch, false);
    await assert.rejects(
      service.upload(tiny, { name: 'big.txt', bytes: enc('x'.repeat(5000)) }),
      (e: unknown) => e instanceof DocumentServiceError && e.code === 'limit_exceeded',
    );
    await service.upload(tiny, { name: 'a.txt', bytes: enc('one') });
    await service.upload(tiny, { name: '../../b.txt', bytes: enc('two') });
    assert.deepEqual((await service.listFiles(tiny.id, { unattached: true })).map((f) => f.name).sort(), [
      'a.txt',
      'b.txt',
    ]);
    await assert.rejects(
      service.upload(tiny, { name: 'c.txt', bytes: enc('three') }),
      (e: unknown) => e instanceof DocumentServiceError && e.code === 'limit_exceeded',
    );
    await assert.rejects(
      service.upload(alice, { name: 'fake.pdf', bytes: enc('not a pdf') }),
      (e: unknown) => e instanceof DocumentError && e.code === 'type_mismatch',
    );
    const conv = await store.conversations.create({ userId: bob.id });
    await assert.rejects(
      service.upload(alice, { name: 'x.txt', bytes: enc('x'), conversationId: conv.id }),
      (e: unknown) => e instanceof DocumentServiceError && e.code === 'not_found',
    );
  });
});
