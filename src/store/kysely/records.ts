/** Usage ledger, audit log and invites: plain rows, nothing encrypted. */
import { sql } from 'kysely';
import { StoreError, StoreValidationError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { AuditRecord, AuditStore, InviteRecord, InviteStore, UsageStore } from '../types.ts';
import { isForeignKeyViolation } from './auth.ts';
import { nowMs, type RepoContext, toDate, toDateOrNull } from './context.ts';
import { isUniqueViolation } from './users.ts';
import { clampLimit, count, date, isLookupKey, isRowId, plain, plainOrNull } from './validate.ts';

export function usageStore(ctx: RepoContext): UsageStore {
  const { db } = ctx;
  return {
    async record(input) {
      if (!isRowId(input.userId)) throw new StoreError('not_found', 'user not found', 'userId');
      const row = {
        id: newId(),
        user_id: input.userId,
        api_key_id: input.apiKeyId ?? null,
        generation_id: input.generationId ?? null,
        model: plain('model', input.model, 200),
        prompt_tokens: count('promptTokens', input.promptTokens),
        completion_tokens: count('completionTokens', input.completionTokens),
        reasoning_tokens: count('reasoningTokens', input.reasoningTokens),
        reasoning: input.reasoning ? 1 : 0,
        created_at: nowMs(),
      };
      if (row.api_key_id !== null && !isRowId(row.api_key_id))
        throw new StoreValidationError('apiKeyId', 'is not an id');
      if (row.generation_id !== null && !isRowId(row.generation_id)) {
        throw new StoreValidationError('generationId', 'is not an id');
      }
      try {
        await db.insertInto('usage_ledger').values(row).execute();
      } catch (err) {
        if (isForeignKeyViolation(err))
          throw new StoreError('not_found', 'user, API key or generation not found');
        throw err;
      }
      return {
        id: row.id,
        userId: row.user_id,
        apiKeyId: row.api_key_id,
        generationId: row.generation_id,
        model: row.model,
        promptTokens: row.prompt_tokens,
        completionTokens: row.completion_tokens,
        reasoningTokens: row.reasoning_tokens,
        reasoning: input.reasoning,
        createdAt: toDate(row.created_at),
      };
    },

    async totals(userId, since) {
      if (!isRowId(userId)) return { reasoningMessages: 0, tokens: 0 };
      const row = await db
        .selectFrom('usage_ledger')
        .select([
          sql<number | string | null>`sum(reasoning)`.as('reasoning_messages'),
          sql<number | string | null>`sum(prompt_tokens + completion_tokens)`.as('tokens'),
        ])
        .where('user_id', '=', userId)
        .where('created_at', '>=', date('since', since))
        .executeTakeFirst();
      return { reasoningMessages: Number(row?.reasoning_messages ?? 0), tokens: Number(row?.tokens ?? 0) };
    },
  };
}

function toAudit(row: {
  id: string;
  user_id: string | null;
  event: string;
  ip: string | null;
  detail: string | null;
  created_at: number | string;
}): AuditRecord {
  let detail: Record<string, unknown> | null = null;
  if (row.detail !== null) {
    try {
      detail = JSON.parse(row.detail) as Record<string, unknown>;
    } catch {
      detail = null;
    }
  }
  return {
    id: row.id,
    userId: row.user_id,
    event: row.event,
    ip: row.ip,
    detail,
    createdAt: toDate(row.created_at),
  };
}

export function auditStore(ctx: RepoContext): AuditStore {
  const { db } = ctx;
  return {
    async record(input) {
      const userId = input.userId ?? null;
      if (userId !== null && !isRowId(userId)) throw new StoreValidationError('userId', 'is not an id');
      // JSON.stringify escapes control characters, so a NUL inside detail cannot reach the column.
      const detail =
        input.detail === null || input.detail === undefined ? null : JSON.stringify(input.detail);
      if (detail !== null && detail.length > 16_000) throw new StoreValidationError('detail', 'is too large');
      const row = {
        id: newId(),
        user_id: userId,
        event: plain('event', input.event, 100, false),
        ip: plainOrNull('ip', input.ip, 100),
        detail,
        created_at: nowMs(),
      };
      try {
        await db.insertInto('audit_log').values(row).execute();
      } catch (err) {
        // The user was deleted meanwhile: keep the event, without the link.
        if (!isForeignKeyViolation(err)) throw err;
        await db
          .insertInto('audit_log')
          .values({ ...row, user_id: null })
          .execute();
      }
    },

    async list(options = {}) {
      const limit = clampLimit(options.limit, 100, 1000);
      let q = db.selectFrom('audit_log').selectAll();
      if (options.userId !== undefined) {
        if (!isRowId(options.userId)) return [];
        q = q.where('user_id', '=', options.userId);
      }
      if (options.before) q = q.where('created_at', '<', date('before', options.before));
      const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map(toAudit);
    },
  };
}

function toInvite(row: {
  id: string;
  created_by: string | null;
  used_by: string | null;
  used_at: number | string | null;
  expires_at: number | string;
  created_at: number | string;
}): InviteRecord {
  return {
    id: row.id,
    createdBy: row.created_by,
    usedBy: row.used_by,
    usedAt: toDateOrNull(row.used_at),
    expiresAt: toDate(row.expires_at),
    createdAt: toDate(row.created_at),
  };
}

const INVITE_COLUMNS = ['id', 'created_by', 'used_by', 'used_at', 'expires_at', 'created_at'] as const;

export function inviteStore(ctx: RepoContext): InviteStore {
  const { db } = ctx;
  return {
    async create(input) {
      if (input.createdBy !== null && !isRowId(input.createdBy)) {
        throw new StoreError('not_found', 'user not found', 'createdBy');
      }
      const row = {
        id: newId(),
        code_hash: plain('codeHash', input.codeHash, 512, false),
        created_by: input.createdBy,
        used_by: null,
        used_at: null,
        expires_at: date('expiresAt', input.expiresAt),
        created_at: nowMs(),
      };
      try {
        await db.insertInto('invites').values(row).execute();
      } catch (err) {
        if (isUniqueViolation(err))
          throw new StoreError('conflict', 'invite code already exists', 'codeHash');
        if (isForeignKeyViolation(err)) throw new StoreError('not_found', 'user not found', 'createdBy');
        throw err;
      }
      return toInvite(row);
    },

    async isValid(codeHash, now = new Date()) {
      if (!isLookupKey(codeHash)) return false;
      const row = await db
        .selectFrom('invites')
        .select('id')
        .where('code_hash', '=', codeHash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', date('now', now))
        .executeTakeFirst();
      return row !== undefined;
    },

    async consume(codeHash, usedBy, now = new Date()) {
      if (!isLookupKey(codeHash) || !isRowId(usedBy)) return false;
      const at = date('now', now);
      try {
        const r = await db
          .updateTable('invites')
          .set({ used_by: usedBy, used_at: at })
          .where('code_hash', '=', codeHash)
          .where('used_at', 'is', null)
          .where('expires_at', '>', at)
          .executeTakeFirst();
        return Number(r.numUpdatedRows) === 1;
      } catch (err) {
        if (isForeignKeyViolation(err)) return false;
        throw err;
      }
    },

    async list() {
      const rows = await db
        .selectFrom('invites')
        .select(INVITE_COLUMNS)
        .orderBy('created_at', 'desc')
        .execute();
      return rows.map(toInvite);
    },

    async delete(id) {
      if (!isRowId(id)) return false;
      const r = await db.deleteFrom('invites').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
  };
}
