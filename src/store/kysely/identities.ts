/** Single sign-on identities and the provider session behind each SSO session (migration 0005). */
import { StoreError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { IdentityRecord, IdentityStore } from '../types-identities.ts';
import { isForeignKeyViolation } from './auth.ts';
import { nowMs, type RepoContext, toDate } from './context.ts';
import { findUser, isUniqueViolation } from './users.ts';
import { date, isRowId, plain, plainOrNull } from './validate.ts';

/** Provider ids are config names; subjects are at most 255 ASCII characters (OIDC Core §2). */
const MAX_PROVIDER = 64;
const MAX_SUBJECT = 255;
const MAX_SID = 255;

interface IdentityRow {
  id: string;
  user_id: string;
  provider: string;
  subject: string;
  created_at: number | string;
  last_login_at: number | string;
}

const IDENTITY_COLUMNS = [
  'identities.id',
  'identities.user_id',
  'identities.provider',
  'identities.subject',
  'identities.created_at',
  'identities.last_login_at',
] as const;

function toIdentity(row: IdentityRow): IdentityRecord {
  return {
    id: row.id,
    userId: row.user_id,
    provider: row.provider,
    subject: row.subject,
    createdAt: toDate(row.created_at),
    lastLoginAt: toDate(row.last_login_at),
  };
}

/** Lookups with oversize or NUL-bearing keys cannot match a stored row: answer "none" without a query. */
function isKey(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= max && !value.includes('\0');
}

export function identityStore(ctx: RepoContext): IdentityStore {
  const { db } = ctx;
  return {
    async find(provider, subject) {
      if (!isKey(provider, MAX_PROVIDER) || !isKey(subject, MAX_SUBJECT)) return null;
      const row = await db
        .selectFrom('identities')
        .select(IDENTITY_COLUMNS)
        .where('provider', '=', provider)
        .where('subject', '=', subject)
        .executeTakeFirst();
      if (!row) return null;
      const user = await findUser(db, row.user_id);
      return user ? { identity: toIdentity(row), user } : null;
    },

    async link(input) {
      if (!isRowId(input.userId)) throw new StoreError('not_found', 'user not found', 'userId');
      const now = nowMs();
      const row = {
        id: newId(),
        user_id: input.userId,
        provider: plain('provider', input.provider, MAX_PROVIDER, false),
        subject: plain('subject', input.subject, MAX_SUBJECT, false),
        created_at: now,
        last_login_at: now,
      };
      try {
        await db.insertInto('identities').values(row).execute();
      } catch (err) {
        if (isUniqueViolation(err)) throw new StoreError('conflict', 'identity already linked', 'subject');
        if (isForeignKeyViolation(err)) throw new StoreError('not_found', 'user not found', 'userId');
        throw err;
      }
      return toIdentity(row);
    },

    async touch(id, at = new Date()) {
      if (!isRowId(id)) return;
      await db
        .updateTable('identities')
        .set({ last_login_at: date('at', at) })
        .where('id', '=', id)
        .execute();
    },

    async list(userId) {
      if (!isRowId(userId)) return [];
      const rows = await db
        .selectFrom('identities')
        .select(IDENTITY_COLUMNS)
        .where('user_id', '=', userId)
        .orderBy('created_at', 'asc')
        .orderBy('id', 'asc')
        .execute();
      return rows.map(toIdentity);
    },

    async unlink(id, userId) {
      if (!isRowId(id) || !isRowId(userId)) return false;
      const r = await db
        .deleteFrom('identities')
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },

    async attachSession(input) {
      if (!isRowId(input.sessionId) || !isRowId(input.userId)) {
        throw new StoreError('not_found', 'session not found', 'sessionId');
      }
      const row = {
        session_id: input.sessionId,
        user_id: input.userId,
        provider: plain('provider', input.provider, MAX_PROVIDER, false),
        subject: plain('subject', input.subject, MAX_SUBJECT, false),
        sid: plainOrNull('sid', input.sid, MAX_SID),
      };
      try {
        await db.insertInto('session_identities').values(row).execute();
      } catch (err) {
        if (isForeignKeyViolation(err)) throw new StoreError('not_found', 'session not found', 'sessionId');
        if (isUniqueViolation(err)) throw new StoreError('conflict', 'session already attached', 'sessionId');
        throw err;
      }
    },

    async endSessions(input) {
      if (!isKey(input.provider, MAX_PROVIDER)) return [];
      const hasSid = input.sid !== undefined;
      const hasSubject = input.subject !== undefined;
      if (!hasSid && !hasSubject) return [];
      if ((hasSid && !isKey(input.sid, MAX_SID)) || (hasSubject && !isKey(input.subject, MAX_SUBJECT)))
        return [];
      let q = db
        .selectFrom('session_identities')
        .select(['session_id', 'user_id'])
        .where('provider', '=', input.provider);
      if (hasSid) q = q.where('sid', '=', input.sid as string);
      if (hasSubject) q = q.where('subject', '=', input.subject as string);
      const rows = await q.execute();
      if (rows.length === 0) return [];
      // The session_identities rows go with their sessions (foreign key cascade).
      await db
        .deleteFrom('sessions')
        .where(
          'id',
          'in',
          rows.map((r) => r.session_id),
        )
        .execute();
      return [...new Set(rows.map((r) => r.user_id))];
    },
  };
}
