import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { openStore } from '../store/index.ts';

const bin = resolve(import.meta.dirname, '../../bin/ponder.js');
const root = mkdtempSync(join(tmpdir(), 'ponder-keys-'));
after(() => rmSync(root, { recursive: true, force: true }));

function ponder(args: string[], env: Record<string, string> = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PONDER_')));
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: root,
    env: { ...clean, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A data dir with one user and an encrypted title; returns what to read back. */
async function seed(dataDir: string, masterKey?: string) {
  await using store = await openStore({ dataDir, ...(masterKey ? { masterKey } : {}) });
  const user = await store.users.create({ email: `k${Date.now()}@x.test`, passwordHash: 'h', plan: 'free' });
  const c = await store.conversations.create({ userId: user.id, title: 'secret plans' });
  return { userId: user.id, conversationId: c.id };
}

async function titleWith(
  dataDir: string,
  ids: { userId: string; conversationId: string },
  masterKey?: string,
) {
  await using store = await openStore({ dataDir, ...(masterKey ? { masterKey } : {}) });
  return (await store.conversations.get(ids.conversationId, ids.userId))?.title;
}

test('ponder keys rotate replaces the key file and keeps data readable', async () => {
  const dataDir = join(root, 'file');
  const ids = await seed(dataDir);
  const keyFile = join(dataDir, 'master.key');
  const before = readFileSync(keyFile, 'utf8');

  const bad = ponder(['keys', 'rotate', '--data-dir', dataDir, '--new-key', 'nope']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^ponder: --new-key must be 32 bytes/);
  assert.equal(readFileSync(keyFile, 'utf8'), before);

  const r = ponder(['keys', 'rotate', '--data-dir', dataDir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /re-wrapped 1 user data key/);
  const after1 = readFileSync(keyFile, 'utf8');
  assert.notEqual(after1, before);
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  assert.deepEqual(
    readdirSync(dataDir).filter((f) => f.startsWith('master.key')),
    ['master.key'],
  );
  assert.equal(await titleWith(dataDir, ids), 'secret plans');
  await assert.rejects(titleWith(dataDir, ids, before.trim()), /does not match/);

  const given = 'ab'.repeat(32);
  const kept = ponder(['keys', 'rotate', '--data-dir', dataDir, '--new-key', given, '--keep-old']);
  assert.equal(kept.code, 0, kept.stderr);
  assert.equal(readFileSync(keyFile, 'utf8').trim(), given);
  const old = readdirSync(dataDir).filter((f) => f.startsWith('master.key.old-'));
  assert.equal(old.length, 1);
  assert.equal(readFileSync(join(dataDir, old[0]!), 'utf8'), after1);
  assert.equal(statSync(join(dataDir, old[0]!)).mode & 0o777, 0o600);
  assert.equal(existsSync(`${keyFile}.new`), false);
  assert.equal(await titleWith(dataDir, ids), 'secret plans');
});

test('ponder keys rotate with PONDER_MASTER_KEY needs --new-key and re-wraps under it', async () => {
  const dataDir = join(root, 'env');
  const oldKey = '01'.repeat(32);
  const newKey = Buffer.alloc(32, 7).toString('base64');
  const ids = await seed(dataDir, oldKey);
  const missing = ponder(['keys', 'rotate', '--data-dir', dataDir], { PONDER_MASTER_KEY: oldKey });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /pass --new-key/);
  const r = ponder(['keys', 'rotate', '--data-dir', dataDir, '--new-key', newKey], {
    PONDER_MASTER_KEY: oldKey,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /set PONDER_MASTER_KEY/);
  assert.equal(r.stdout.includes(newKey), false);
  assert.equal(existsSync(join(dataDir, 'master.key')), false);
  assert.equal(await titleWith(dataDir, ids, newKey), 'secret plans');
  await assert.rejects(titleWith(dataDir, ids, oldKey), /does not match/);
});
