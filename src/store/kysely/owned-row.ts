/**
 * Reading one encrypted row back for its owner, the same way for every table that keeps one per user
 * (messages, arena battles): owner-scoped in SQL, then decoded with the owner's data key.
 */
import type { Selectable } from 'kysely';
import type { UserKeys } from '../crypto/envelope.ts';
import type { Database } from '../db/schema.ts';
import type { RepoContext } from './context.ts';
import { isRowId } from './validate.ts';

/** The tables whose rows carry their own id and their owner's. */
type OwnedTable = {
  [T in keyof Database]: Database[T] extends { id: string; user_id: string } ? T : never;
}[keyof Database];

/**
 * The row `id` of `table` when `userId` owns it, decoded with their keys; null for a malformed id, a row
 * that is not theirs, or an owner whose keys are gone (deleted account).
 */
export async function getOwnedRow<T extends OwnedTable, R>(
  ctx: RepoContext,
  table: T,
  id: string,
  userId: string,
  decode: (row: Selectable<Database[T]>, keys: UserKeys) => R,
): Promise<R | null> {
  if (!isRowId(id) || !isRowId(userId)) return null;
  // Kysely cannot type `where` on a generic table name; every `OwnedTable` has both columns.
  const row = (await ctx.db
    .selectFrom(table as OwnedTable & 'messages')
    .selectAll()
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .executeTakeFirst()) as Selectable<Database[T]> | undefined;
  if (!row) return null;
  const keys = await ctx.keys.forUser(ctx.db, userId);
  return keys ? decode(row, keys) : null;
}
