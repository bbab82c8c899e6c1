/**
 * Blind-index search over encrypted titles and messages (see crypto/blind-index.ts for the trade-off).
 */
import { sql } from 'kysely';
import { indexTokens, queryTokens, snippet } from '../crypto/blind-index.ts';
import type { UserKeys } from '../crypto/envelope.ts';
import type { SearchResult, SearchStore } from '../types.ts';
import type { Db, RepoContext } from './context.ts';
import { clampLimit, isRowId } from './validate.ts';

const INSERT_CHUNK = 400;
/** A query of more words than this is cut (each word is one more index lookup). */
const MAX_QUERY_WORDS = 16;

/** Replaces the index rows of one title (`messageId` null) or one message. Run inside a transaction. */
export async function reindex(
  db: Db,
  keys: UserKeys,
  target: { userId: string; conversationId: string; messageId: string | null },
  text: string,
): Promise<void> {
  let del = db.deleteFrom('search_tokens').where('conversation_id', '=', target.conversationId);
  del =
    target.messageId === null
      ? del.where('message_id', 'is', null)
      : del.where('message_id', '=', target.messageId);
  await del.execute();
  const rows = [...indexTokens(text)].map((t) => ({
    user_id: target.userId,
    conversation_id: target.conversationId,
    message_id: target.messageId,
    token_hash: keys.tokenHash(t),
  }));
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    await db
      .insertInto('search_tokens')
      .values(rows.slice(i, i + INSERT_CHUNK))
      .execute();
  }
}

export function searchStore(ctx: RepoContext): SearchStore {
  const { db } = ctx;
  return {
    async query(userId, query, options = {}) {
      if (!isRowId(userId) || typeof query !== 'string') return [];
      const words = queryTokens(query.slice(0, 1000)).slice(0, MAX_QUERY_WORDS);
      if (words.length === 0) return [];
      const keys = await ctx.keys.forUser(db, userId);
      if (!keys) return [];
      const limit = clampLimit(options.limit, 20, 100);
      const hashes = words.map((w) => keys.tokenHash(w));
      // Units (a title or one message) holding every query token: AND semantics within one unit.
      const units = (conversationId?: string) => {
        let q = db
          .selectFrom('search_tokens')
          .select(['conversation_id', 'message_id'])
          .where('user_id', '=', userId)
          .where('token_hash', 'in', hashes);
        if (conversationId !== undefined) q = q.where('conversation_id', '=', conversationId);
        return q
          .groupBy(['conversation_id', 'message_id'])
          .having(sql<number>`count(distinct token_hash)`, '=', hashes.length);
      };
      // Newest matching conversations first, limited in SQL (a common word may hit thousands).
      const conversations = await db
        .selectFrom('conversations')
        .select(['id', 'title', 'updated_at'])
        .where('user_id', '=', userId)
        .where('id', 'in', units().clearSelect().select('conversation_id'))
        .orderBy('updated_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      const results: SearchResult[] = [];
      for (const c of conversations) {
        const title = keys.decrypt({ table: 'conversations', column: 'title', rowId: c.id, userId }, c.title);
        const message = await db
          .selectFrom('messages')
          .select(['id', 'content'])
          .where('user_id', '=', userId)
          .where('conversation_id', '=', c.id)
          .where('id', 'in', units(c.id).clearSelect().select('message_id'))
          .orderBy('created_at', 'desc')
          .orderBy('id', 'desc')
          .limit(1)
          .executeTakeFirst();
        if (!message) {
          results.push({ conversationId: c.id, title, snippet: snippet(title, query) });
          continue;
        }
        const text = keys.decrypt(
          { table: 'messages', column: 'content', rowId: message.id, userId },
          message.content,
        );
        results.push({ conversationId: c.id, title, snippet: snippet(text, query), messageId: message.id });
      }
      return results;
    },
  };
}
