/**
 * `openStore`: connects (SQLite by default, PostgreSQL for a postgres:// URL), migrates, checks the
 * master key against the database, and assembles the repositories behind the `Store` interface.
 */
import { existsSync, renameSync, unlinkSync } from 'node:fs';
import { type Kysely, sql } from 'kysely';
import { makeKeyCheck, verifyKeyCheck } from './crypto/envelope.ts';
import {
  keyFilePath,
  parseMasterKey,
  type ResolvedMasterKey,
  readKeyFile,
  resolveMasterKey,
} from './crypto/master-key.ts';
import { connect } from './db/connect.ts';
import { type MigrationReport, migrateToLatest } from './db/migrations.ts';
import type { Database } from './db/schema.ts';
import { MasterKeyError } from './errors.ts';
import { arenaStore } from './kysely/arena.ts';
import { apiKeyStore, sessionStore } from './kysely/auth.ts';
import { type Db, inTransaction, type RepoContext } from './kysely/context.ts';
import { conversationStore } from './kysely/conversations.ts';
import { documentStore } from './kysely/documents.ts';
import { evalStore } from './kysely/eval-runs.ts';
import { generationStore } from './kysely/generations.ts';
import { identityStore } from './kysely/identities.ts';
import { KeyRing } from './kysely/key-ring.ts';
import { messageStore } from './kysely/messages.ts';
import { auditStore, inviteStore, usageStore } from './kysely/records.ts';
import { responseStore } from './kysely/responses.ts';
import { searchStore } from './kysely/search.ts';
import { isUniqueViolation, userStore } from './kysely/users.ts';
import type { IntegrityResult, OpenStoreOptions, Store } from './types.ts';

const META_CHECK = 'master_key_check';
const META_VERSION = 'master_key_version';

/** Where a rotation writes the next key before the database switches to it. */
export function pendingKeyFilePath(dataDir: string): string {
  return `${keyFilePath(dataDir)}.new`;
}

async function readMeta(db: Db): Promise<{ check: Buffer; version: number } | null> {
  const rows = await db
    .selectFrom('store_meta')
    .select(['key', 'value'])
    .where('key', 'in', [META_CHECK, META_VERSION])
    .execute();
  const check = rows.find((r) => r.key === META_CHECK)?.value;
  const version = rows.find((r) => r.key === META_VERSION)?.value;
  if (check === undefined || version === undefined) return null;
  return { check: Buffer.from(check, 'base64'), version: Number(version) };
}

/**
 * Verifies that `resolved` is the key this database was created with (first start: records it).
 * Completes a key-file rotation that crashed after the database switched but before the file did.
 */
async function settleMasterKey(
  db: Kysely<Database>,
  resolved: ResolvedMasterKey,
  options: OpenStoreOptions,
): Promise<{ key: Buffer; version: number }> {
  let meta = await readMeta(db);
  if (!meta) {
    try {
      await inTransaction(db, async (trx) => {
        await trx
          .insertInto('store_meta')
          .values([
            { key: META_VERSION, value: '1' },
            { key: META_CHECK, value: makeKeyCheck(resolved.key, 1).toString('base64') },
          ])
          .execute();
      });
      return { key: resolved.key, version: 1 };
    } catch (err) {
      // Another instance initialised it at the same moment: verify against theirs.
      if (!isUniqueViolation(err)) throw err;
      meta = await readMeta(db);
      if (!meta) throw err;
    }
  }
  if (verifyKeyCheck(resolved.key, meta.check)) return { key: resolved.key, version: meta.version };

  if (options.masterKey === undefined) {
    const pending = pendingKeyFilePath(options.dataDir);
    if (existsSync(pending)) {
      const next = readKeyFile(pending);
      if (verifyKeyCheck(next, meta.check)) {
        renameSync(pending, keyFilePath(options.dataDir));
        options.logger?.warn(
          { keyFile: keyFilePath(options.dataDir) },
          'completed an interrupted master key rotation',
        );
        return { key: next, version: meta.version };
      }
    }
    if (resolved.created) unlinkSync(resolved.source);
  }
  const where =
    resolved.source === 'option' ? 'PONDER_MASTER_KEY / masterKey' : `key file ${resolved.source}`;
  throw new MasterKeyError(
    `the master key from ${where} does not match this database (it was set up with another key). ` +
      'Restore the original key (master.key or PONDER_MASTER_KEY); without it the encrypted data cannot be read.',
  );
}

/** Opens (and by default migrates) the store. Throws `StoreError` / `MasterKeyError` with a clear message. */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  // Validate a given key before touching anything.
  if (options.masterKey !== undefined) parseMasterKey(options.masterKey, 'PONDER_MASTER_KEY / masterKey');
  const conn = connect(options);
  const { db, dialect } = conn;
  try {
    if (options.migrate !== false) await migrateToLatest(db, dialect);
    const resolved = resolveMasterKey(options.dataDir, options.masterKey);
    const master = await settleMasterKey(db, resolved, options);
    if (resolved.created) options.logger?.info({ keyFile: resolved.source }, 'created a new master key file');
    const keys = new KeyRing(master.key, master.version);
    const ctx: RepoContext = { db, dialect, keys, logger: options.logger };
    return assemble(ctx);
  } catch (err) {
    await db.destroy();
    throw err;
  }
}

/** Runs the migrations only (`ponder migrate`); needs no master key. */
export async function migrateDatabase(options: {
  dataDir: string;
  databaseUrl?: string;
}): Promise<MigrationReport & { dialect: Store['dialect'] }> {
  const { db, dialect } = connect(options);
  try {
    return { ...(await migrateToLatest(db, dialect)), dialect };
  } finally {
    await db.destroy();
  }
}

function assemble(ctx: RepoContext): Store {
  const { db, dialect, keys } = ctx;
  let closed: Promise<void> | null = null;
  const close = () => {
    closed ??= (async () => {
      keys.clear();
      await db.destroy();
    })();
    return closed;
  };
  return {
    dialect,
    users: userStore(ctx),
    sessions: sessionStore(ctx),
    apiKeys: apiKeyStore(ctx),
    conversations: conversationStore(ctx),
    messages: messageStore(ctx),
    generations: generationStore(ctx),
    usage: usageStore(ctx),
    audit: auditStore(ctx),
    invites: inviteStore(ctx),
    search: searchStore(ctx),
    identities: identityStore(ctx), // single sign-on (issue 14)
    arena: arenaStore(ctx),
    responses: responseStore(ctx), // the Responses API (issue 14)
    evals: evalStore(ctx), // ponder eval (issue 15)
    documents: documentStore(ctx),

    async integrityCheck(): Promise<IntegrityResult> {
      try {
        if (dialect === 'sqlite') {
          const { rows } = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(db);
          const lines = rows.map((r) => r.integrity_check);
          return lines.length === 1 && lines[0] === 'ok'
            ? { ok: true }
            : { ok: false, detail: lines.join('; ') };
        }
        await sql`select 1`.execute(db);
        return { ok: true };
      } catch (err) {
        return { ok: false, detail: (err as Error).message };
      }
    },

    async rotateMasterKey(newMasterKey) {
      const next = parseMasterKey(newMasterKey, 'new master key');
      const result = await db.transaction().execute(async (trx) => {
        if (dialect === 'postgres') {
          // No user may be created (wrapped under the old key) while we re-wrap.
          await sql`lock table users in share row exclusive mode`.execute(trx);
        }
        const meta = await readMeta(trx);
        const version = (meta?.version ?? keys.masterVersion) + 1;
        const users = await trx.selectFrom('users').select(['id', 'wrapped_data_key']).execute();
        for (const u of users) {
          await trx
            .updateTable('users')
            .set({
              wrapped_data_key: keys.rewrap(u.id, u.wrapped_data_key, next, version),
              key_version: version,
            })
            .where('id', '=', u.id)
            .execute();
        }
        await trx
          .updateTable('store_meta')
          .set({ value: String(version) })
          .where('key', '=', META_VERSION)
          .execute();
        await trx
          .updateTable('store_meta')
          .set({ value: makeKeyCheck(next, version).toString('base64') })
          .where('key', '=', META_CHECK)
          .execute();
        return { rewrapped: users.length, keyVersion: version };
      });
      keys.setMaster(next, result.keyVersion);
      ctx.logger?.info({ rewrapped: result.rewrapped, keyVersion: result.keyVersion }, 'master key rotated');
      return result;
    },

    close,
    [Symbol.asyncDispose]: close,
  };
}
