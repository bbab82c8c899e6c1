import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { generateMasterKey, writeKeyFile } from './crypto/master-key.ts';
import { MasterKeyError } from './errors.ts';
import { rotateKeyFile } from './key-rotation.ts';
import { openStore, pendingKeyFilePath } from './open-store.ts';

const root = mkdtempSync(join(tmpdir(), 'ponder-rotation-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('a rotation that crashed after the database switched is completed by the next open', async () => {
  const dataDir = join(root, 'crash');
  const store = await openStore({ dataDir });
  const u = await store.users.create({ email: 'crash@x.test', passwordHash: 'h', plan: 'free' });
  const c = await store.conversations.create({ userId: u.id, title: 'survives' });
  // Steps 2–3 of rotateKeyFile, then "crash" before the rename.
  const next = generateMasterKey();
  writeKeyFile(pendingKeyFilePath(dataDir), next);
  await store.rotateMasterKey(next);
  await store.close();

  const reopened = await openStore({ dataDir });
  try {
    assert.equal((await reopened.conversations.get(c.id, u.id))?.title, 'survives');
    assert.equal(readFileSync(join(dataDir, 'master.key'), 'utf8').trim(), next.toString('hex'));
    assert.equal(existsSync(pendingKeyFilePath(dataDir)), false);
  } finally {
    await reopened.close();
  }
});

test('a rotation that fails leaves the old key file in place and no leftovers', async () => {
  const dataDir = join(root, 'fail');
  const store = await openStore({ dataDir });
  const before = readFileSync(join(dataDir, 'master.key'), 'utf8');
  await store.close();
  // A closed store cannot re-wrap: the database step fails.
  await assert.rejects(rotateKeyFile(store, dataDir));
  assert.equal(readFileSync(join(dataDir, 'master.key'), 'utf8'), before);
  assert.deepEqual(
    readdirSync(dataDir).filter((f) => f.startsWith('master.key')),
    ['master.key'],
  );
  await (await openStore({ dataDir })).close();
});

test('a stray master.key.new that does not match is not adopted', async () => {
  const dataDir = join(root, 'stray');
  await (await openStore({ dataDir })).close();
  writeKeyFile(pendingKeyFilePath(dataDir), generateMasterKey());
  rmSync(join(dataDir, 'master.key'));
  // A fresh key file is generated, does not match, and is removed again: the error says what to do.
  await assert.rejects(
    openStore({ dataDir }),
    (e: unknown) => e instanceof MasterKeyError && /Restore the original key/.test(e.message),
  );
  assert.equal(existsSync(join(dataDir, 'master.key')), false);
});

test('two processes starting on a fresh data dir agree on one key', async () => {
  const dataDir = join(root, 'race');
  const [a, b] = await Promise.all([openStore({ dataDir }), openStore({ dataDir })]);
  try {
    const u = await a.users.create({ email: 'race@x.test', passwordHash: 'h', plan: 'free' });
    const c = await a.conversations.create({ userId: u.id, title: 'shared' });
    assert.equal((await b.conversations.get(c.id, u.id))?.title, 'shared');
  } finally {
    await a.close();
    await b.close();
  }
});
