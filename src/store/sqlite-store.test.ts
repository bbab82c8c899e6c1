import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { openStore } from './open-store.ts';
import { runStoreContract, type StoreHarness } from './store-contract.ts';

runStoreContract('SQLite', async (): Promise<StoreHarness> => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ponder-store-'));
  const file = join(dataDir, 'ponder.db');
  let raw: BetterSqlite3.Database | undefined;
  const rawDb = () => {
    if (!raw) {
      raw = new BetterSqlite3(file);
      raw.pragma('busy_timeout = 5000');
    }
    return raw;
  };
  return {
    dataDir,
    open: (options = {}) => openStore({ dataDir, ...options }),
    async raw(sql, params = []) {
      const stmt = rawDb().prepare(sql);
      if (stmt.reader) return stmt.all(...params) as Record<string, unknown>[];
      stmt.run(...params);
      return [];
    },
    async dumpAtRest() {
      const parts = ['', '-wal', '-shm']
        .map((suffix) => `${file}${suffix}`)
        .filter((path) => existsSync(path))
        .map((path) => readFileSync(path));
      return Buffer.concat(parts);
    },
    async dispose() {
      raw?.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});
