/** Sessions and API keys: only SHA-256 hashes of their secrets are stored. */
import { StoreError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { ApiKeyRecord, ApiKeyStore, SessionRecord, SessionStore } from '../types.ts';
import { nowMs, type RepoContext, toDate, toDateOrNull } from './context.ts';
import { isUniqueViolation, toUser, USER_COLUMNS } from './users.ts';
import { date, isLookupKey, isRowId, plain, plainOrNull } from './validate.ts';

interface SessionRow {
  id: string;
  user_id: string;
  token_hash: string;
  user_agent: string | null;
  created_at: number | string;
  last_seen_at: number | string;
  expires_at: number | string;
}

const SESSION_COLUMNS = [
  'sessions.id',
  'sessions.user_id',
  'sessions.token_hash',
  'sessions.user_agent',
  'sessions.created_at',
  'sessions.last_seen_at',
  'sessions.expires_at',
] as const;

function toSession(row: SessionRow): SessionRecord {
  return {
    id: row.id,
    userId: row.user_id,
    tokenHash: row.token_hash,
    userAgent: row.user_agent,
    createdAt: toDate(row.created_at),
    lastSeenAt: toDate(row.last_seen_at),
    expiresAt: toDate(row.expires_at),
  };
}

export function sessionStore(ctx: RepoContext): SessionStore {
  const { db } = ctx;
  return {
    async create(input) {
      if (!isRowId(input.userId)) throw new StoreError('not_found', 'user not found', 'userId');
      const tokenHash = plain('tokenHash', input.tokenHash, 512, false);
      // User agents are attacker-chosen: cap rather than reject long ones.
      const userAgent = plainOrNull('userAgent', input.userAgent?.slice(0, 512), 512);
      const expiresAt = date('expiresAt', input.expiresAt);
      const now = nowMs();
      const row = {
        id: newId(),
        user_id: input.userId,
        token_hash: tokenHash,
        user_agent: userAgent,
        created_at: now,
        last_seen_at: now,
        expires_at: expiresAt,
      };
      try {
        await db.insertInto('sessions').values(row).execute();
      } catch (err) {
        if (isUniqueViolation(err))
          throw new StoreError('conflict', 'session token already exists', 'tokenHash');
        if (isForeignKeyViolation(err)) throw new StoreError('not_found', 'user not found', 'userId');
        throw err;
      }
      return toSession(row);
    },

    async byTokenHash(tokenHash) {
      if (!isLookupKey(tokenHash)) return null;
      const row = await db
        .selectFrom('sessions')
        .select(SESSION_COLUMNS)
        .where('token_hash', '=', tokenHash)
        .where('expires_at', '>', Date.now())
        .executeTakeFirst();
      if (!row) return null;
      const user = await db
        .selectFrom('users')
        .select(USER_COLUMNS)
        .where('id', '=', row.user_id)
        .executeTakeFirst();
      return user ? { session: toSession(row), user: toUser(user) } : null;
    },

    async touch(id, update = {}) {
      if (!isRowId(id)) return;
      const set: { last_seen_at: number; expires_at?: number } = {
        last_seen_at: update.lastSeenAt ? date('lastSeenAt', update.lastSeenAt) : Date.now(),
      };
      if (update.expiresAt) set.expires_at = date('expiresAt', update.expiresAt);
      await db.updateTable('sessions').set(set).where('id', '=', id).execute();
    },

    async list(userId) {
      if (!isRowId(userId)) return [];
      const rows = await db
        .selectFrom('sessions')
        .select(SESSION_COLUMNS)
        .where('user_id', '=', userId)
        .where('expires_at', '>', Date.now())
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .execute();
      return rows.map(toSession);
    },

    async delete(id, userId) {
      if (!isRowId(id) || !isRowId(userId)) return false;
      const r = await db
        .deleteFrom('sessions')
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },

    async deleteAllForUser(userId, exceptId) {
      if (!isRowId(userId)) return 0;
      let q = db.deleteFrom('sessions').where('user_id', '=', userId);
      if (exceptId !== undefined) q = q.where('id', '!=', exceptId);
      const r = await q.executeTakeFirst();
      return Number(r.numDeletedRows);
    },

    async deleteExpired(now = new Date()) {
      const r = await db
        .deleteFrom('sessions')
        .where('expires_at', '<=', date('now', now))
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}

export function isForeignKeyViolation(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

interface ApiKeyRow {
  id: string;
  user_id: string;
  name: string;
  prefix: string;
  created_at: number | string;
  last_used_at: number | string | null;
  revoked_at: number | string | null;
}

const KEY_COLUMNS = [
  'api_keys.id',
  'api_keys.user_id',
  'api_keys.name',
  'api_keys.prefix',
  'api_keys.created_at',
  'api_keys.last_used_at',
  'api_keys.revoked_at',
] as const;

function toApiKey(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    prefix: row.prefix,
    createdAt: toDate(row.created_at),
    lastUsedAt: toDateOrNull(row.last_used_at),
    revokedAt: toDateOrNull(row.revoked_at),
  };
}

export function apiKeyStore(ctx: RepoContext): ApiKeyStore {
  const { db } = ctx;
  return {
    async create(input) {
      if (!isRowId(input.userId)) throw new StoreError('not_found', 'user not found', 'userId');
      const row = {
        id: newId(),
        user_id: input.userId,
        name: plain('name', input.name, 200),
        prefix: plain('prefix', input.prefix, 64),
        key_hash: plain('keyHash', input.keyHash, 512, false),
        created_at: nowMs(),
        last_used_at: null,
        revoked_at: null,
      };
      try {
        await db.insertInto('api_keys').values(row).execute();
      } catch (err) {
        if (isUniqueViolation(err)) throw new StoreError('conflict', 'API key already exists', 'keyHash');
        if (isForeignKeyViolation(err)) throw new StoreError('not_found', 'user not found', 'userId');
        throw err;
      }
      return toApiKey(row);
    },

    async byHash(keyHash) {
      if (!isLookupKey(keyHash)) return null;
      const key = await db
        .selectFrom('api_keys')
        .select(KEY_COLUMNS)
        .where('key_hash', '=', keyHash)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      if (!key) return null;
      const user = await db
        .selectFrom('users')
        .select(USER_COLUMNS)
        .where('id', '=', key.user_id)
        .executeTakeFirst();
      return user ? { apiKey: toApiKey(key), user: toUser(user) } : null;
    },

    async list(userId) {
      if (!isRowId(userId)) return [];
      const rows = await db
        .selectFrom('api_keys')
        .select(KEY_COLUMNS)
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .execute();
      return rows.map(toApiKey);
    },

    async revoke(id, userId) {
      if (!isRowId(id) || !isRowId(userId)) return false;
      const r = await db
        .updateTable('api_keys')
        .set({ revoked_at: Date.now() })
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },

    async touch(id, at = new Date()) {
      if (!isRowId(id)) return;
      await db
        .updateTable('api_keys')
        .set({ last_used_at: date('at', at) })
        .where('id', '=', id)
        .execute();
    },
  };
}
