import type { Insertable, Selectable } from 'kysely';
import type { GenerationsTable, MessagesTable } from '../db/schema.ts';
import { DecryptError, StoreError, StoreValidationError } from '../errors.ts';
import { newId } from '../ids.ts';
import type {
  GenerationRecord,
  GenerationStatus,
  GenerationStore,
  MessageRecord,
  StartGenerationInput,
} from '../types.ts';
import { inTransaction, nowMs, type RepoContext, toDate, toDateOrNull } from './context.ts';
import {
  checkPlacement,
  contentContext,
  reasoningContext,
  toMessage,
  userKeysOrNotFound,
} from './messages.ts';
import { reindex } from './search.ts';
import { diagnostic, isRowId, plain } from './validate.ts';

const FINISHED: readonly GenerationStatus[] = ['done', 'cancelled', 'error', 'interrupted'];

function toGeneration(row: Selectable<GenerationsTable>): GenerationRecord {
  return {
    id: row.id,
    userId: row.user_id,
    conversationId: row.conversation_id,
    assistantMessageId: row.assistant_message_id,
    status: row.status as GenerationStatus,
    model: row.model,
    error: row.error,
    createdAt: toDate(row.created_at),
    finishedAt: toDateOrNull(row.finished_at),
  };
}

/** A new `running` generation filling `messageId`. */
function runningRow(
  id: string,
  model: string,
  messageId: string,
  input: StartGenerationInput,
  now: number,
): Selectable<GenerationsTable> & Insertable<GenerationsTable> {
  return {
    id,
    user_id: input.userId,
    conversation_id: input.conversationId,
    assistant_message_id: messageId,
    status: 'running',
    model,
    error: null,
    created_at: now,
    finished_at: null,
  };
}

export function generationStore(ctx: RepoContext): GenerationStore {
  const { db } = ctx;
  /** `start` for an existing assistant message: it streams again, now filled by generation `id`. */
  const continueMessage = async (
    id: string,
    model: string,
    messageId: string,
    input: StartGenerationInput,
  ): Promise<{ generation: GenerationRecord; message: MessageRecord }> => {
    const keys = await userKeysOrNotFound(ctx, db, input.userId);
    const now = nowMs();
    const generation = runningRow(id, model, messageId, input, now);
    const row = await inTransaction(db, async (trx) => {
      const updated = isRowId(messageId)
        ? await trx
            .updateTable('messages')
            .set({
              status: 'streaming',
              generation_id: id,
              finish_reason: null,
              error: null,
              updated_at: now,
            })
            .where('id', '=', messageId)
            .where('user_id', '=', input.userId)
            .where('conversation_id', '=', input.conversationId)
            .where('role', '=', 'assistant')
            .where('status', '!=', 'streaming')
            .where((eb) =>
              input.parentId === null ? eb('parent_id', 'is', null) : eb('parent_id', '=', input.parentId),
            )
            .executeTakeFirst()
        : undefined;
      if (!updated || Number(updated.numUpdatedRows) === 0) {
        throw new StoreError(
          'not_found',
          'no such finished assistant message to continue',
          'continueMessageId',
        );
      }
      await trx.insertInto('generations').values(generation).execute();
      await trx
        .updateTable('conversations')
        .set({ updated_at: now })
        .where('id', '=', input.conversationId)
        .execute();
      return trx.selectFrom('messages').selectAll().where('id', '=', messageId).executeTakeFirstOrThrow();
    });
    return { generation: toGeneration(generation), message: toMessage(row, keys) };
  };
  return {
    async start(input) {
      const model = plain('model', input.model, 200, false);
      if (input.id !== undefined && !isRowId(input.id)) throw new StoreValidationError('id', 'is not an id');
      const keys = await userKeysOrNotFound(ctx, db, input.userId);
      const id = input.id ?? newId();
      if (input.continueMessageId !== undefined)
        return continueMessage(id, model, input.continueMessageId, input);
      const messageId = newId();
      const now = nowMs();
      const message: Selectable<MessagesTable> & Insertable<MessagesTable> = {
        id: messageId,
        conversation_id: input.conversationId,
        user_id: input.userId,
        parent_id: input.parentId,
        role: 'assistant',
        content: keys.encrypt(contentContext(messageId, input.userId), ''),
        reasoning: keys.encrypt(reasoningContext(messageId, input.userId), ''),
        tool_steps: null,
        status: 'streaming',
        model,
        error: null,
        reasoning_ms: null,
        prompt_tokens: null,
        cached_prompt_tokens: null,
        completion_tokens: null,
        reasoning_tokens: null,
        finish_reason: null,
        generation_id: id,
        created_at: now,
        updated_at: now,
      };
      const generation = runningRow(id, model, messageId, input, now);
      await inTransaction(db, async (trx) => {
        await checkPlacement(trx, input.userId, input.conversationId, input.parentId);
        await trx.insertInto('messages').values(message).execute();
        await trx.insertInto('generations').values(generation).execute();
        await trx
          .updateTable('conversations')
          .set({ updated_at: now })
          .where('id', '=', input.conversationId)
          .execute();
      });
      return { generation: toGeneration(generation), message: toMessage(message, keys) };
    },

    async get(id, userId) {
      if (!isRowId(id) || !isRowId(userId)) return null;
      const row = await db
        .selectFrom('generations')
        .selectAll()
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return row ? toGeneration(row) : null;
    },

    async finish(id, userId, status, error) {
      if (!FINISHED.includes(status)) {
        throw new StoreValidationError('status', `must be one of ${FINISHED.join(', ')}`);
      }
      if (!isRowId(id) || !isRowId(userId)) return false;
      const r = await db
        .updateTable('generations')
        .set({ status, error: diagnostic(error), finished_at: nowMs() })
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .where('status', '=', 'running')
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },

    async listRunning(userId) {
      let q = db.selectFrom('generations').selectAll().where('status', '=', 'running');
      if (userId !== undefined) {
        if (!isRowId(userId)) return [];
        q = q.where('user_id', '=', userId);
      }
      const rows = await q.orderBy('created_at').orderBy('id').execute();
      return rows.map(toGeneration);
    },

    async markAllRunningInterrupted() {
      const now = nowMs();
      const { changed, orphans } = await inTransaction(db, async (trx) => {
        const r = await trx
          .updateTable('generations')
          .set({ status: 'interrupted', finished_at: now })
          .where('status', '=', 'running')
          .executeTakeFirst();
        const streaming = await trx
          .selectFrom('messages')
          .select(['id', 'user_id', 'conversation_id', 'content'])
          .where('status', '=', 'streaming')
          .execute();
        await trx
          .updateTable('messages')
          .set({ status: 'interrupted', updated_at: now })
          .where('status', '=', 'streaming')
          .execute();
        return { changed: Number(r.numUpdatedRows), orphans: streaming };
      });
      // Index the partial answers so they are searchable like finished ones.
      for (const m of orphans) {
        try {
          const keys = await ctx.keys.forUser(db, m.user_id);
          if (!keys) continue;
          const text = keys.decrypt(contentContext(m.id, m.user_id), m.content);
          await inTransaction(db, (trx) =>
            reindex(
              trx,
              keys,
              { userId: m.user_id, conversationId: m.conversation_id, messageId: m.id },
              text,
            ),
          );
        } catch (err) {
          if (!(err instanceof DecryptError)) throw err;
          ctx.logger?.warn({ messageId: m.id, code: err.code }, 'cannot index interrupted message');
        }
      }
      return changed;
    },
  };
}
