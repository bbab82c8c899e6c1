import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openStore } from './open-store.ts';
import { runStoreContract, type StoreHarness } from './store-contract.ts';

const adminUrl = process.env.PONDER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** `adminUrl` with its database replaced. */
function databaseUrl(name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

runStoreContract('PostgreSQL', async (): Promise<StoreHarness> => {
  const name = `ponder_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = databaseUrl(name);
  const dataDir = mkdtempSync(join(tmpdir(), 'ponder-store-pg-'));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    dataDir,
    open: (options = {}) => openStore({ dataDir, databaseUrl: url, poolSize: 4, ...options }),
    async raw(sql, params = []) {
      let n = 0;
      const text = sql.replace(/\?/g, () => `$${++n}`);
      return (await client.query(text, params)).rows as Record<string, unknown>[];
    },
    async dumpAtRest() {
      return execFileSync('pg_dump', ['--no-owner', '--dbname', url], { maxBuffer: 256 * 1024 * 1024 });
    },
    async dispose() {
      await client.end();
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});
