/**
 * Stored responses of the Responses API (migration `0006_responses`): one encrypted JSON body per row,
 * bound by AAD to its row and owner; every read and delete is scoped to the owner. Also seals the
 * reasoning a client holds between stateless requests (`encrypted_content`) with the same data key.
 */
import { DecryptError } from '../errors.ts';
import type { ResponseRecord, ResponseStore } from '../types-responses.ts';
import { nowMs, type RepoContext, toDate } from './context.ts';
import { userKeysOrNotFound } from './messages.ts';
import { isLookupKey, isRowId, plain, secret } from './validate.ts';

const bodyField = (id: string, userId: string) => ({ table: 'responses', column: 'body', rowId: id, userId });
/** Not a row: what the client holds is bound to this label and its owner only. */
const clientField = (userId: string) => ({
  table: 'responses',
  column: 'encrypted_content',
  rowId: 'client',
  userId,
});

export function responseStore(ctx: RepoContext): ResponseStore {
  const { db } = ctx;
  return {
    async create(input) {
      const id = plain('id', input.id, 128, false);
      const body = secret('body', input.body);
      const userKeys = await userKeysOrNotFound(ctx, db, input.userId);
      const createdAt = nowMs();
      await db
        .insertInto('responses')
        .values({
          id,
          user_id: input.userId,
          body: userKeys.encrypt(bodyField(id, input.userId), body),
          created_at: createdAt,
        })
        .execute();
      return { id, userId: input.userId, body, createdAt: toDate(createdAt) };
    },

    async get(id, userId): Promise<ResponseRecord | null> {
      if (!isLookupKey(id) || !isRowId(userId)) return null;
      const row = await db
        .selectFrom('responses')
        .selectAll()
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (!row) return null;
      const userKeys = await userKeysOrNotFound(ctx, db, userId);
      return {
        id: row.id,
        userId: row.user_id,
        body: userKeys.decrypt(bodyField(row.id, row.user_id), row.body),
        createdAt: toDate(row.created_at),
      };
    },

    async delete(id, userId) {
      if (!isLookupKey(id) || !isRowId(userId)) return false;
      const result = await db
        .deleteFrom('responses')
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    async sealForClient(userId, text) {
      const userKeys = await userKeysOrNotFound(ctx, db, userId);
      return userKeys.encrypt(clientField(userId), secret('text', text)).toString('base64url');
    },

    async openForClient(userId, sealed) {
      if (typeof sealed !== 'string' || sealed.length === 0 || sealed.length > 8_000_000) return null;
      const userKeys = await userKeysOrNotFound(ctx, db, userId);
      try {
        return userKeys.decrypt(clientField(userId), Buffer.from(sealed, 'base64url'));
      } catch (err) {
        if (err instanceof DecryptError) return null;
        throw err;
      }
    },
  };
}
