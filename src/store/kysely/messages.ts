import type { Insertable, Selectable, Updateable } from 'kysely';
import type { UserKeys } from '../crypto/envelope.ts';
import type { MessagesTable } from '../db/schema.ts';
import { StoreError, StoreValidationError } from '../errors.ts';
import { newId } from '../ids.ts';
import type {
  CreateMessageInput,
  MessageFinishReason,
  MessageRecord,
  MessageRole,
  MessageStatus,
  MessageStore,
  UpdateMessageInput,
} from '../types.ts';
import { type Db, inTransaction, nowMs, type RepoContext, toDate, toNumberOrNull } from './context.ts';
import { getOwnedRow } from './owned-row.ts';
import { reindex } from './search.ts';
import { openToolSteps, sealToolSteps } from './tool-steps.ts';
import { count, countOrNull, diagnostic, isRowId, plainOrNull, secret } from './validate.ts';

const ROLES: readonly MessageRole[] = ['user', 'assistant', 'system'];
const STATUSES: readonly MessageStatus[] = ['complete', 'streaming', 'interrupted', 'cancelled', 'error'];

export function checkRole(role: string): MessageRole {
  if (!ROLES.includes(role as MessageRole))
    throw new StoreValidationError('role', `must be one of ${ROLES.join(', ')}`);
  return role as MessageRole;
}

export function checkStatus(status: string): MessageStatus {
  if (!STATUSES.includes(status as MessageStatus)) {
    throw new StoreValidationError('status', `must be one of ${STATUSES.join(', ')}`);
  }
  return status as MessageStatus;
}

export const contentContext = (id: string, userId: string) => ({
  table: 'messages',
  column: 'content',
  rowId: id,
  userId,
});
export const reasoningContext = (id: string, userId: string) => ({
  table: 'messages',
  column: 'reasoning',
  rowId: id,
  userId,
});

export function toMessage(row: Selectable<MessagesTable>, keys: UserKeys): MessageRecord {
  const prompt = toNumberOrNull(row.prompt_tokens);
  return {
    id: row.id,
    conversationId: row.conversation_id,
    userId: row.user_id,
    parentId: row.parent_id,
    role: row.role as MessageRole,
    content: keys.decrypt(contentContext(row.id, row.user_id), row.content),
    reasoning: keys.decrypt(reasoningContext(row.id, row.user_id), row.reasoning),
    toolSteps: openToolSteps(keys, row.id, row.user_id, row.tool_steps),
    status: row.status as MessageStatus,
    model: row.model,
    error: row.error,
    reasoningMs: toNumberOrNull(row.reasoning_ms),
    usage:
      prompt === null
        ? null
        : {
            promptTokens: prompt,
            cachedPromptTokens: Number(row.cached_prompt_tokens ?? 0),
            completionTokens: Number(row.completion_tokens ?? 0),
            reasoningTokens: Number(row.reasoning_tokens ?? 0),
          },
    finishReason: (row.finish_reason ?? null) as MessageFinishReason | null,
    generationId: row.generation_id,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

/** Throws `not_found` unless the conversation is the user's and the parent (if any) is in it. */
export async function checkPlacement(
  db: Db,
  userId: string,
  conversationId: string,
  parentId: string | null,
): Promise<void> {
  const conversation = isRowId(conversationId)
    ? await db
        .selectFrom('conversations')
        .select('id')
        .where('id', '=', conversationId)
        .where('user_id', '=', userId)
        .executeTakeFirst()
    : undefined;
  if (!conversation) throw new StoreError('not_found', 'conversation not found', 'conversationId');
  if (parentId === null) return;
  const parent = isRowId(parentId)
    ? await db
        .selectFrom('messages')
        .select('id')
        .where('id', '=', parentId)
        .where('conversation_id', '=', conversationId)
        .executeTakeFirst()
    : undefined;
  if (!parent) throw new StoreError('not_found', 'parent message not found in this conversation', 'parentId');
}

export async function userKeysOrNotFound(ctx: RepoContext, db: Db, userId: string): Promise<UserKeys> {
  const keys = isRowId(userId) ? await ctx.keys.forUser(db, userId) : null;
  if (!keys) throw new StoreError('not_found', 'user not found', 'userId');
  return keys;
}

const FINISH_REASONS: readonly MessageFinishReason[] = ['stop', 'length', 'cancelled', 'error'];
function checkFinishReason(r: MessageFinishReason | null): MessageFinishReason | null {
  if (r !== null && !FINISH_REASONS.includes(r)) {
    throw new StoreValidationError('finishReason', `must be one of ${FINISH_REASONS.join(', ')}`);
  }
  return r;
}

const FINAL = (status: MessageStatus | undefined) => status !== undefined && status !== 'streaming';

export function messageStore(ctx: RepoContext): MessageStore {
  const { db } = ctx;
  return {
    async create(input: CreateMessageInput) {
      const role = checkRole(input.role);
      const status = checkStatus(input.status ?? 'complete');
      const content = secret('content', input.content);
      const reasoning = secret('reasoning', input.reasoning ?? '');
      const model = plainOrNull('model', input.model, 200);
      const generationId = input.generationId ?? null;
      if (generationId !== null && !isRowId(generationId)) {
        throw new StoreValidationError('generationId', 'is not an id');
      }
      if (input.id !== undefined && !isRowId(input.id)) throw new StoreValidationError('id', 'is not an id');
      const parentId = input.parentId ?? null;
      const keys = await userKeysOrNotFound(ctx, db, input.userId);
      const id = input.id ?? newId();
      const now = nowMs();
      const row: Selectable<MessagesTable> & Insertable<MessagesTable> = {
        id,
        conversation_id: input.conversationId,
        user_id: input.userId,
        parent_id: parentId,
        role,
        content: keys.encrypt(contentContext(id, input.userId), content),
        reasoning: keys.encrypt(reasoningContext(id, input.userId), reasoning),
        tool_steps: sealToolSteps(keys, id, input.userId, input.toolSteps),
        status,
        model,
        error: null,
        reasoning_ms: null,
        prompt_tokens: null,
        cached_prompt_tokens: null,
        completion_tokens: null,
        reasoning_tokens: null,
        finish_reason: null,
        generation_id: generationId,
        created_at: now,
        updated_at: now,
      };
      await inTransaction(db, async (trx) => {
        await checkPlacement(trx, input.userId, input.conversationId, parentId);
        await trx.insertInto('messages').values(row).execute();
        await trx
          .updateTable('conversations')
          .set({ updated_at: now })
          .where('id', '=', input.conversationId)
          .execute();
        if (FINAL(status)) {
          await reindex(
            trx,
            keys,
            { userId: input.userId, conversationId: input.conversationId, messageId: id },
            content,
          );
        }
      });
      return toMessage(row, keys);
    },

    get: (id, userId) => getOwnedRow(ctx, 'messages', id, userId, toMessage),

    async tree(conversationId, userId) {
      if (!isRowId(conversationId) || !isRowId(userId)) return null;
      const owned = await db
        .selectFrom('conversations')
        .select('id')
        .where('id', '=', conversationId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (!owned) return null;
      const keys = await ctx.keys.forUser(db, userId);
      if (!keys) return null;
      const rows = await db
        .selectFrom('messages')
        .selectAll()
        .where('conversation_id', '=', conversationId)
        .where('user_id', '=', userId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map((r) => toMessage(r, keys));
    },

    async update(id, userId, patch: UpdateMessageInput) {
      if (!isRowId(id) || !isRowId(userId)) return false;
      const set: Updateable<MessagesTable> = { updated_at: nowMs() };
      const keys = await ctx.keys.forUser(db, userId);
      if (!keys) return false;
      if (patch.content !== undefined) {
        set.content = keys.encrypt(contentContext(id, userId), secret('content', patch.content));
      }
      if (patch.reasoning !== undefined) {
        set.reasoning = keys.encrypt(reasoningContext(id, userId), secret('reasoning', patch.reasoning));
      }
      if (patch.toolSteps !== undefined) set.tool_steps = sealToolSteps(keys, id, userId, patch.toolSteps);
      if (patch.status !== undefined) set.status = checkStatus(patch.status);
      if (patch.error !== undefined) set.error = diagnostic(patch.error);
      if (patch.reasoningMs !== undefined) set.reasoning_ms = countOrNull('reasoningMs', patch.reasoningMs);
      if (patch.model !== undefined) set.model = plainOrNull('model', patch.model, 200);
      if (patch.finishReason !== undefined) set.finish_reason = checkFinishReason(patch.finishReason);
      if (patch.usage !== undefined) {
        const u = patch.usage;
        set.prompt_tokens = u === null ? null : count('usage.promptTokens', u.promptTokens);
        set.cached_prompt_tokens =
          u === null ? null : count('usage.cachedPromptTokens', u.cachedPromptTokens);
        set.completion_tokens = u === null ? null : count('usage.completionTokens', u.completionTokens);
        set.reasoning_tokens = u === null ? null : count('usage.reasoningTokens', u.reasoningTokens);
      }
      const write = (d: Db) =>
        d
          .updateTable('messages')
          .set(set)
          .where('id', '=', id)
          .where('user_id', '=', userId)
          .executeTakeFirst();
      if (!FINAL(patch.status)) {
        // The streaming hot path: one UPDATE, no reads.
        return Number((await write(db)).numUpdatedRows) > 0;
      }
      return inTransaction(db, async (trx) => {
        if (Number((await write(trx)).numUpdatedRows) === 0) return false;
        const row = await trx
          .selectFrom('messages')
          .select(['conversation_id', 'content'])
          .where('id', '=', id)
          .executeTakeFirstOrThrow();
        const text = patch.content ?? keys.decrypt(contentContext(id, userId), row.content);
        await reindex(trx, keys, { userId, conversationId: row.conversation_id, messageId: id }, text);
        return true;
      });
    },
  };
}
