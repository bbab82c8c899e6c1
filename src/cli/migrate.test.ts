import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import pg from 'pg';

const bin = resolve(import.meta.dirname, '../../bin/ponder.js');
const pgAdminUrl = process.env.PONDER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'ponder-migrate-'));
  dirs.push(d);
  return d;
}

/** Runs `ponder …` in a clean environment (no inherited PONDER_* settings). */
function ponder(args: string[], env: Record<string, string> = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PONDER_')));
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: tmp(),
    env: { ...clean, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('ponder migrate creates the SQLite schema once, then reports it up to date', () => {
  const dataDir = join(tmp(), 'data');
  const first = ponder(['migrate', '--data-dir', dataDir]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /applied 0001_initial/);
  assert.ok(existsSync(join(dataDir, 'ponder.db')));
  assert.equal(statSync(join(dataDir, 'ponder.db')).mode & 0o777, 0o600);
  // Migration needs no master key and creates none.
  assert.equal(existsSync(join(dataDir, 'master.key')), false);
  const second = ponder(['migrate', '--data-dir', dataDir]);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /up to date/);
});

test('ponder migrate honours PONDER_DATABASE_URL and never prints it', async () => {
  const name = `ponder_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: pgAdminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  try {
    const url = new URL(pgAdminUrl);
    url.pathname = `/${name}`;
    const r = ponder(['migrate', '--data-dir', join(tmp(), 'data')], { PONDER_DATABASE_URL: url.toString() });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /PostgreSQL database: applied 0001_initial/);
    assert.equal(r.stdout.includes(name), false);
    const check = new pg.Client({ connectionString: url.toString() });
    await check.connect();
    const { rows } = await check.query(
      "select count(*)::int as n from information_schema.tables where table_name = 'messages'",
    );
    await check.end();
    assert.equal(rows[0].n, 1);
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
});

test('ponder migrate reports an unreachable database as one clear line', () => {
  const r = ponder(['migrate'], { PONDER_DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /^ponder: /);
  assert.equal(r.stderr.includes('    at '), false);
});
