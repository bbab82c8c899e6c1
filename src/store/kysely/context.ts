import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { StoreDialect, StoreLogger } from '../types.ts';
import type { KeyRing } from './key-ring.ts';

/** A database handle: the pool/connection or a transaction. */
export type Db = Kysely<Database> | Transaction<Database>;

/** What every repository shares. */
export interface RepoContext {
  db: Kysely<Database>;
  dialect: StoreDialect;
  keys: KeyRing;
  logger?: StoreLogger;
}

let last = 0;
/**
 * Epoch ms, strictly increasing within this process, so rows created in one millisecond still sort
 * in creation order (message siblings, conversation lists).
 */
export function nowMs(): number {
  const t = Date.now();
  last = t > last ? t : last + 1;
  return last;
}

export function toDate(ms: number | string): Date {
  return new Date(Number(ms));
}

export function toDateOrNull(ms: number | string | null): Date | null {
  return ms === null ? null : new Date(Number(ms));
}

export function toNumberOrNull(v: number | string | null): number | null {
  return v === null ? null : Number(v);
}

/** Runs `fn` in a transaction unless `db` already is one. */
export async function inTransaction<T>(db: Db, fn: (trx: Db) => Promise<T>): Promise<T> {
  if (db.isTransaction) return fn(db);
  return (db as Kysely<Database>).transaction().execute(fn);
}
