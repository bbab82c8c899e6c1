/**
 * Eval runs and samples (migration `0007_eval_runs`; see types-eval.ts for what is encrypted and why).
 * A sample's detail is one encrypted JSON object bound by AAD to its run, sample key and owner, so a
 * detail cannot be moved to another sample or user.
 */
import { type Selectable, sql } from 'kysely';
import type { UserKeys } from '../crypto/envelope.ts';
import type { EvalRunsTable, EvalSamplesTable } from '../db/schema-eval.ts';
import { StoreValidationError } from '../errors.ts';
import { newId } from '../ids.ts';
import type {
  EvalRunRecord,
  EvalRunStatus,
  EvalSampleInput,
  EvalSampleKey,
  EvalSampleRecord,
  EvalStore,
} from '../types-eval.ts';
import { nowMs, type RepoContext, toDate, toNumberOrNull } from './context.ts';
import { userKeysOrNotFound } from './messages.ts';
import { isUniqueViolation } from './users.ts';
import { clampLimit, count, countOrNull, diagnostic, isRowId, plain, secret } from './validate.ts';

const STATUSES: readonly EvalRunStatus[] = ['running', 'stopped', 'done', 'failed'];
const MAX_CONFIG = 200_000;
const MAX_KEY_PART = 500;

const detailContext = (s: EvalSampleKey & { runId: string }, userId: string) => ({
  table: 'eval_samples',
  column: 'detail',
  rowId: JSON.stringify([s.runId, s.variant, s.problemId, s.sampleIndex]),
  userId,
});

interface Detail {
  rawAnswer: string;
  extracted: string | null;
  key: string | null;
  reason: string;
}

function checkStatus(status: string): EvalRunStatus {
  if (!STATUSES.includes(status as EvalRunStatus))
    throw new StoreValidationError('status', `must be one of ${STATUSES.join(', ')}`);
  return status as EvalRunStatus;
}

function toRun(row: Selectable<EvalRunsTable>, done: number): EvalRunRecord {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    config: row.config,
    status: row.status as EvalRunStatus,
    error: row.error,
    total: Number(row.total),
    done,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

function toSample(row: Selectable<EvalSamplesTable>, keys: UserKeys): EvalSampleRecord {
  const key = {
    runId: row.run_id,
    variant: row.variant,
    problemId: row.problem_id,
    sampleIndex: Number(row.sample_index),
  };
  const detail = JSON.parse(keys.decrypt(detailContext(key, row.user_id), row.detail)) as Detail;
  return {
    ...key,
    correct: Number(row.correct) === 1,
    method: row.method,
    finishReason: row.finish_reason,
    promptTokens: Number(row.prompt_tokens),
    reasoningTokens: Number(row.reasoning_tokens),
    answerTokens: Number(row.answer_tokens),
    reasoningChars: Number(row.reasoning_chars),
    ttftMs: toNumberOrNull(row.ttft_ms),
    durationMs: Number(row.duration_ms),
    ...detail,
    createdAt: toDate(row.created_at),
  };
}

export function evalStore(ctx: RepoContext): EvalStore {
  const { db } = ctx;

  async function doneCounts(ids: string[]): Promise<Map<string, number>> {
    if (ids.length === 0) return new Map();
    const rows = await db
      .selectFrom('eval_samples')
      .select(['run_id', sql<number | string>`count(*)`.as('n')])
      .where('run_id', 'in', ids)
      .groupBy('run_id')
      .execute();
    return new Map(rows.map((r) => [r.run_id, Number(r.n)]));
  }

  return {
    async createRun(input) {
      await userKeysOrNotFound(ctx, db, input.userId); // the owner exists (not_found otherwise)
      const id = newId();
      const now = nowMs();
      const row = {
        id,
        user_id: input.userId,
        name: plain('name', input.name, 200, false),
        config: plain('config', input.config, MAX_CONFIG, false),
        status: 'running',
        error: null,
        total: count('total', input.total),
        created_at: now,
        updated_at: now,
      };
      await db.insertInto('eval_runs').values(row).execute();
      return toRun(row, 0);
    },

    async getRun(id) {
      if (!isRowId(id)) return null;
      const row = await db.selectFrom('eval_runs').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) return null;
      return toRun(row, (await doneCounts([id])).get(id) ?? 0);
    },

    async listRuns(options = {}) {
      const rows = await db
        .selectFrom('eval_runs')
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(clampLimit(options.limit, 50, 500))
        .execute();
      const done = await doneCounts(rows.map((r) => r.id));
      return rows.map((r) => toRun(r, done.get(r.id) ?? 0));
    },

    async setStatus(id, status, error = null) {
      if (!isRowId(id)) return;
      await db
        .updateTable('eval_runs')
        .set({ status: checkStatus(status), error: diagnostic(error), updated_at: nowMs() })
        .where('id', '=', id)
        .execute();
    },

    async addSample(s: EvalSampleInput) {
      if (!isRowId(s.runId)) throw new StoreValidationError('runId', 'is not a run id');
      const run = await db
        .selectFrom('eval_runs')
        .select(['user_id'])
        .where('id', '=', s.runId)
        .executeTakeFirst();
      if (!run) throw new StoreValidationError('runId', 'no such run');
      const keys = await userKeysOrNotFound(ctx, db, run.user_id);
      const key = {
        runId: s.runId,
        variant: plain('variant', s.variant, MAX_KEY_PART, false),
        problemId: plain('problemId', s.problemId, MAX_KEY_PART, false),
        sampleIndex: count('sampleIndex', s.sampleIndex),
      };
      const detail: Detail = {
        rawAnswer: secret('rawAnswer', s.rawAnswer),
        extracted: s.extracted === null ? null : secret('extracted', s.extracted),
        key: s.key === null ? null : secret('key', s.key),
        reason: secret('reason', s.reason),
      };
      try {
        await db
          .insertInto('eval_samples')
          .values({
            run_id: key.runId,
            user_id: run.user_id,
            variant: key.variant,
            problem_id: key.problemId,
            sample_index: key.sampleIndex,
            correct: s.correct ? 1 : 0,
            method: plain('method', s.method, 50),
            finish_reason: plain('finishReason', s.finishReason, 50),
            prompt_tokens: count('promptTokens', s.promptTokens),
            reasoning_tokens: count('reasoningTokens', s.reasoningTokens),
            answer_tokens: count('answerTokens', s.answerTokens),
            reasoning_chars: count('reasoningChars', s.reasoningChars),
            ttft_ms: countOrNull('ttftMs', s.ttftMs),
            duration_ms: count('durationMs', s.durationMs),
            detail: keys.encrypt(detailContext(key, run.user_id), JSON.stringify(detail)),
            created_at: nowMs(),
          })
          .execute();
      } catch (err) {
        if (isUniqueViolation(err)) return false;
        throw err;
      }
      await db.updateTable('eval_runs').set({ updated_at: nowMs() }).where('id', '=', key.runId).execute();
      return true;
    },

    async sampleKeys(runId) {
      if (!isRowId(runId)) return [];
      const rows = await db
        .selectFrom('eval_samples')
        .select(['variant', 'problem_id', 'sample_index'])
        .where('run_id', '=', runId)
        .execute();
      return rows.map((r) => ({
        variant: r.variant,
        problemId: r.problem_id,
        sampleIndex: Number(r.sample_index),
      }));
    },

    async listSamples(runId) {
      if (!isRowId(runId)) return [];
      const rows = await db
        .selectFrom('eval_samples')
        .selectAll()
        .where('run_id', '=', runId)
        .orderBy('variant')
        .orderBy('problem_id')
        .orderBy('sample_index')
        .execute();
      const first = rows[0];
      if (!first) return [];
      const keys = await userKeysOrNotFound(ctx, db, first.user_id);
      return rows.map((r) => toSample(r, keys));
    },

    async deleteRun(id) {
      if (!isRowId(id)) return false;
      await db.deleteFrom('eval_samples').where('run_id', '=', id).execute();
      const result = await db.deleteFrom('eval_runs').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}
