import { StoreError, StoreValidationError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { ConversationRecord, ConversationStore } from '../types.ts';
import { inTransaction, nowMs, type RepoContext, toDate } from './context.ts';
import { reindex } from './search.ts';
import { clampLimit, date, isRowId, secret } from './validate.ts';

const DEFAULT_PAGE = 50;
const MAX_PAGE = 200;
/** Titles are short by nature; a 10 kB title is still accepted (and encrypted). */
const MAX_TITLE = 20_000;

function titleContext(id: string, userId: string) {
  return { table: 'conversations', column: 'title', rowId: id, userId };
}

function checkTitle(title: string): string {
  const value = secret('title', title);
  if (value.length > MAX_TITLE)
    throw new StoreValidationError('title', `must be at most ${MAX_TITLE} characters`);
  return value;
}

function encodeCursor(updatedAt: number, id: string): string {
  return Buffer.from(JSON.stringify([updatedAt, id]), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { updatedAt: number; id: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && Number.isSafeInteger(value[0]) && isRowId(value[1])) {
      return { updatedAt: value[0] as number, id: value[1] as string };
    }
  } catch {
    // fall through
  }
  throw new StoreValidationError('cursor', 'is not a valid cursor');
}

export function conversationStore(ctx: RepoContext): ConversationStore {
  const { db } = ctx;

  async function get(id: string, userId: string): Promise<ConversationRecord | null> {
    if (!isRowId(id) || !isRowId(userId)) return null;
    const row = await db
      .selectFrom('conversations')
      .select(['id', 'user_id', 'title', 'created_at', 'updated_at'])
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (!row) return null;
    const keys = await ctx.keys.forUser(db, userId);
    if (!keys) return null;
    return {
      id: row.id,
      userId: row.user_id,
      title: keys.decrypt(titleContext(row.id, userId), row.title),
      createdAt: toDate(row.created_at),
      updatedAt: toDate(row.updated_at),
    };
  }

  return {
    async create(input) {
      const title = checkTitle(input.title ?? '');
      if (!isRowId(input.userId)) throw new StoreError('not_found', 'user not found', 'userId');
      const keys = await ctx.keys.forUser(db, input.userId);
      if (!keys) throw new StoreError('not_found', 'user not found', 'userId');
      const id = newId();
      const now = nowMs();
      await inTransaction(db, async (trx) => {
        await trx
          .insertInto('conversations')
          .values({
            id,
            user_id: input.userId,
            title: keys.encrypt(titleContext(id, input.userId), title),
            created_at: now,
            updated_at: now,
          })
          .execute();
        await reindex(trx, keys, { userId: input.userId, conversationId: id, messageId: null }, title);
      });
      return { id, userId: input.userId, title, createdAt: toDate(now), updatedAt: toDate(now) };
    },

    async list(userId, page = {}) {
      if (!isRowId(userId)) return { conversations: [], nextCursor: null };
      const limit = clampLimit(page.limit, DEFAULT_PAGE, MAX_PAGE);
      let q = db
        .selectFrom('conversations')
        .select(['id', 'user_id', 'title', 'created_at', 'updated_at'])
        .where('user_id', '=', userId);
      if (page.cursor) {
        const c = decodeCursor(page.cursor);
        q = q.where((eb) =>
          eb.or([
            eb('updated_at', '<', c.updatedAt),
            eb.and([eb('updated_at', '=', c.updatedAt), eb('id', '<', c.id)]),
          ]),
        );
      }
      const rows = await q
        .orderBy('updated_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();
      const more = rows.length > limit;
      const pageRows = rows.slice(0, limit);
      const keys = pageRows.length > 0 ? await ctx.keys.forUser(db, userId) : null;
      const conversations = keys
        ? pageRows.map((r) => ({
            id: r.id,
            userId: r.user_id,
            title: keys.decrypt(titleContext(r.id, userId), r.title),
            createdAt: toDate(r.created_at),
            updatedAt: toDate(r.updated_at),
          }))
        : [];
      const last = pageRows[pageRows.length - 1];
      return {
        conversations,
        nextCursor: more && last ? encodeCursor(Number(last.updated_at), last.id) : null,
      };
    },

    get,

    async rename(id, userId, title) {
      const value = checkTitle(title);
      if (!isRowId(id) || !isRowId(userId)) return null;
      const keys = await ctx.keys.forUser(db, userId);
      if (!keys) return null;
      const changed = await inTransaction(db, async (trx) => {
        const r = await trx
          .updateTable('conversations')
          .set({ title: keys.encrypt(titleContext(id, userId), value), updated_at: nowMs() })
          .where('id', '=', id)
          .where('user_id', '=', userId)
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) === 0) return false;
        await reindex(trx, keys, { userId, conversationId: id, messageId: null }, value);
        return true;
      });
      return changed ? get(id, userId) : null;
    },

    async delete(id, userId) {
      if (!isRowId(id) || !isRowId(userId)) return false;
      // Messages, generations and search tokens cascade.
      const r = await db
        .deleteFrom('conversations')
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },

    async touch(id, userId, at) {
      if (!isRowId(id) || !isRowId(userId)) return;
      await db
        .updateTable('conversations')
        .set({ updated_at: at ? date('at', at) : nowMs() })
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .execute();
    },
  };
}
