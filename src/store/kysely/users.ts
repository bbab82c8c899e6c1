import { StoreError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { CreateUserInput, UpdateUserInput, UserRecord, UserStore } from '../types.ts';
import { type Db, inTransaction, nowMs, type RepoContext, toDate } from './context.ts';
import { clampLimit, isLookupKey, isRowId, normaliseEmail, plain, plainOrNull } from './validate.ts';

export interface UserRow {
  id: string;
  email: string;
  password_hash: string;
  display_name: string | null;
  is_admin: number | string;
  disabled: number | string;
  plan: string;
  created_at: number | string;
}

export const USER_COLUMNS = [
  'users.id',
  'users.email',
  'users.password_hash',
  'users.display_name',
  'users.is_admin',
  'users.disabled',
  'users.plan',
  'users.created_at',
] as const;

export function toUser(row: UserRow): UserRecord {
  return {
    id: row.id,
    email: row.email,
    passwordHash: row.password_hash,
    displayName: row.display_name,
    isAdmin: Number(row.is_admin) === 1,
    disabled: Number(row.disabled) === 1,
    plan: row.plan,
    createdAt: toDate(row.created_at),
  };
}

/** SQLite `SQLITE_CONSTRAINT_UNIQUE` / `_PRIMARYKEY`, PostgreSQL 23505. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

const MAX_HASH = 1024;
const MAX_NAME = 200;
const MAX_PLAN = 64;

/** The user with this id, or null (also used by the identities repository). */
export async function findUser(db: Db, id: string): Promise<UserRecord | null> {
  if (!isRowId(id)) return null;
  const row = await db.selectFrom('users').select(USER_COLUMNS).where('id', '=', id).executeTakeFirst();
  return row ? toUser(row) : null;
}

export function userStore(ctx: RepoContext): UserStore {
  const { db } = ctx;
  return {
    async create(input: CreateUserInput) {
      const email = normaliseEmail(input.email);
      const passwordHash = plain('passwordHash', input.passwordHash, MAX_HASH, false);
      const plan = plain('plan', input.plan, MAX_PLAN, false);
      const displayName = plainOrNull('displayName', input.displayName, MAX_NAME);
      const id = newId();
      const createdAt = nowMs();
      const { wrapped, keyVersion } = ctx.keys.createUserKey(id);
      try {
        await inTransaction(db, async (trx) => {
          await trx
            .insertInto('users')
            .values({
              id,
              email,
              password_hash: passwordHash,
              display_name: displayName,
              is_admin: input.isAdmin ? 1 : 0,
              disabled: 0,
              plan,
              wrapped_data_key: wrapped,
              key_version: keyVersion,
              created_at: createdAt,
            })
            .execute();
          if (input.inviteCodeHash !== undefined) {
            const hash = input.inviteCodeHash;
            const used = isLookupKey(hash)
              ? await trx
                  .updateTable('invites')
                  .set({ used_by: id, used_at: createdAt })
                  .where('code_hash', '=', hash)
                  .where('used_at', 'is', null)
                  .where('expires_at', '>', createdAt)
                  .executeTakeFirst()
              : { numUpdatedRows: 0n };
            if (Number(used.numUpdatedRows) !== 1) {
              throw new StoreError(
                'invalid_invite',
                'the invite code is unknown, used or expired',
                'inviteCode',
              );
            }
          }
        });
      } catch (err) {
        ctx.keys.evict(id);
        if (isUniqueViolation(err)) throw new StoreError('conflict', 'email is already registered', 'email');
        throw err;
      }
      return {
        id,
        email,
        passwordHash,
        displayName,
        isAdmin: input.isAdmin === true,
        disabled: false,
        plan,
        createdAt: toDate(createdAt),
      };
    },

    async byEmail(email) {
      let normal: string;
      try {
        normal = normaliseEmail(email);
      } catch {
        return null;
      }
      const row = await db
        .selectFrom('users')
        .select(USER_COLUMNS)
        .where('email', '=', normal)
        .executeTakeFirst();
      return row ? toUser(row) : null;
    },

    byId: (id) => findUser(db, id),

    async list(options = {}) {
      const limit = clampLimit(options.limit, 1000, 1_000_000);
      const offset =
        typeof options.offset === 'number' && Number.isFinite(options.offset)
          ? Math.max(0, Math.trunc(options.offset))
          : 0;
      const rows = await db
        .selectFrom('users')
        .select(USER_COLUMNS)
        .orderBy('created_at')
        .orderBy('id')
        .limit(limit)
        .offset(offset)
        .execute();
      return rows.map(toUser);
    },

    async update(id, patch: UpdateUserInput) {
      if (!isRowId(id)) return null;
      const set: Record<string, string | number | null> = {};
      if (patch.isAdmin !== undefined) set.is_admin = patch.isAdmin ? 1 : 0;
      if (patch.disabled !== undefined) set.disabled = patch.disabled ? 1 : 0;
      if (patch.plan !== undefined) set.plan = plain('plan', patch.plan, MAX_PLAN, false);
      if (patch.displayName !== undefined) {
        set.display_name = plainOrNull('displayName', patch.displayName, MAX_NAME);
      }
      if (patch.passwordHash !== undefined) {
        set.password_hash = plain('passwordHash', patch.passwordHash, MAX_HASH, false);
      }
      if (Object.keys(set).length > 0) await db.updateTable('users').set(set).where('id', '=', id).execute();
      return findUser(db, id);
    },

    async delete(id) {
      if (!isRowId(id)) return false;
      // Foreign keys cascade to everything the user owns (search tokens included); audit rows and
      // invites keep existing with the link set to null.
      const result = await db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
      ctx.keys.evict(id);
      return Number(result.numDeletedRows) > 0;
    },

    async count() {
      const row = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}
