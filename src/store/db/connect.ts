/**
 * Opens the Kysely instance for the configured database: better-sqlite3 (default) or a `pg` pool.
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { StoreError } from '../errors.ts';
import type { StoreDialect } from '../types.ts';
import type { Database } from './schema.ts';

export const SQLITE_FILE = 'ponder.db';

export interface Connection {
  db: Kysely<Database>;
  dialect: StoreDialect;
  /** SQLite only: the raw handle, for pragmas. */
  sqlite?: BetterSqlite3.Database;
}

const INT8_OID = 20;

export function isPostgresUrl(url: string | undefined): url is string {
  return url !== undefined && /^postgres(ql)?:\/\//.test(url);
}

export function connect(options: { dataDir: string; databaseUrl?: string; poolSize?: number }): Connection {
  if (options.databaseUrl !== undefined && options.databaseUrl !== '') {
    if (!isPostgresUrl(options.databaseUrl)) {
      throw new StoreError(
        'database',
        'databaseUrl must start with postgres:// (or leave it unset for SQLite)',
      );
    }
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      // Epoch-ms timestamps and counts are int8: parse them as numbers for this pool only
      // (not pg.types.setTypeParser, which would change every pg user in the process).
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID
            ? (v: string) => Number(v)
            : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    // An idle client losing its connection must not crash the process; the next query reports it.
    pool.on('error', () => {});
    return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), dialect: 'postgres' };
  }
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const path = join(options.dataDir, SQLITE_FILE);
  let sqlite: BetterSqlite3.Database;
  try {
    const fresh = !existsSync(path);
    sqlite = new BetterSqlite3(path);
    // Emails and password hashes are plaintext columns: keep the file private (-wal/-shm inherit it).
    if (fresh) chmodSync(path, 0o600);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('synchronous = NORMAL');
  } catch (err) {
    throw new StoreError(
      'database',
      `cannot open SQLite database ${path}: ${(err as Error).message}`,
      undefined,
      {
        cause: err,
      },
    );
  }
  return {
    db: new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) }),
    dialect: 'sqlite',
    sqlite,
  };
}
