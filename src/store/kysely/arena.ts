/**
 * The arena's battles (migration `0008_arena`). The question and both answers (text and reasoning) are
 * encrypted with the owner's data key, each bound by AAD to its own column, row and owner, like
 * messages; model ids, statuses and the vote stay plain so the leaderboard reads without any key.
 */
import type { Selectable } from 'kysely';
import type { UserKeys } from '../crypto/envelope.ts';
import type { ArenaBattlesTable } from '../db/schema-arena.ts';
import { StoreValidationError } from '../errors.ts';
import { newId } from '../ids.ts';
import type {
  ArenaBattleRecord,
  ArenaSide,
  ArenaSideRecord,
  ArenaSideStatus,
  ArenaStore,
  ArenaVote,
  UpdateSideInput,
} from '../types-arena.ts';
import { nowMs, type RepoContext, toDate, toDateOrNull, toNumberOrNull } from './context.ts';
import { userKeysOrNotFound } from './messages.ts';
import { getOwnedRow } from './owned-row.ts';
import { clampLimit, countOrNull, diagnostic, isRowId, plain, secret } from './validate.ts';

const STATUSES: readonly ArenaSideStatus[] = ['streaming', 'complete', 'cancelled', 'error', 'interrupted'];
const VOTES: readonly ArenaVote[] = ['a', 'b', 'tie', 'both_bad'];
const MAX_MODEL_ID = 500;

const field = (column: string, id: string, userId: string) => ({
  table: 'arena_battles',
  column,
  rowId: id,
  userId,
});

function checkStatus(status: string): ArenaSideStatus {
  if (!STATUSES.includes(status as ArenaSideStatus))
    throw new StoreValidationError('status', `must be one of ${STATUSES.join(', ')}`);
  return status as ArenaSideStatus;
}

function toSide(row: Selectable<ArenaBattlesTable>, side: ArenaSide, keys: UserKeys): ArenaSideRecord {
  const { id, user_id: userId } = row;
  return {
    model: row[`model_${side}`],
    content: keys.decrypt(field(`content_${side}`, id, userId), row[`content_${side}`]),
    reasoning: keys.decrypt(field(`reasoning_${side}`, id, userId), row[`reasoning_${side}`]),
    status: row[`status_${side}`] as ArenaSideStatus,
    error: row[`error_${side}`],
    reasoningMs: toNumberOrNull(row[`reasoning_ms_${side}`]),
  };
}

function toBattle(row: Selectable<ArenaBattlesTable>, keys: UserKeys): ArenaBattleRecord {
  return {
    id: row.id,
    userId: row.user_id,
    prompt: keys.decrypt(field('prompt', row.id, row.user_id), row.prompt),
    a: toSide(row, 'a', keys),
    b: toSide(row, 'b', keys),
    vote: row.vote as ArenaVote | null,
    createdAt: toDate(row.created_at),
    votedAt: toDateOrNull(row.voted_at),
  };
}

export function arenaStore(ctx: RepoContext): ArenaStore {
  const { db } = ctx;
  return {
    async create(input) {
      const keys = await userKeysOrNotFound(ctx, db, input.userId);
      const id = newId();
      const { userId } = input;
      const seal = (column: string, text: string) => keys.encrypt(field(column, id, userId), text);
      await db
        .insertInto('arena_battles')
        .values({
          id,
          user_id: userId,
          prompt: seal('prompt', secret('prompt', input.prompt)),
          model_a: plain('modelA', input.modelA, MAX_MODEL_ID, false),
          model_b: plain('modelB', input.modelB, MAX_MODEL_ID, false),
          content_a: seal('content_a', ''),
          content_b: seal('content_b', ''),
          reasoning_a: seal('reasoning_a', ''),
          reasoning_b: seal('reasoning_b', ''),
          status_a: 'streaming',
          status_b: 'streaming',
          error_a: null,
          error_b: null,
          reasoning_ms_a: null,
          reasoning_ms_b: null,
          vote: null,
          created_at: nowMs(),
          voted_at: null,
        })
        .execute();
      const row = await db
        .selectFrom('arena_battles')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      return toBattle(row, keys);
    },

    get: (id, userId) => getOwnedRow(ctx, 'arena_battles', id, userId, toBattle),

    async updateSide(id, userId, side, patch: UpdateSideInput) {
      if (!isRowId(id) || !isRowId(userId)) return false;
      if (side !== 'a' && side !== 'b') throw new StoreValidationError('side', 'must be a or b');
      const keys = await ctx.keys.forUser(db, userId);
      if (!keys) return false;
      const set: Record<string, unknown> = {};
      if (patch.content !== undefined)
        set[`content_${side}`] = keys.encrypt(
          field(`content_${side}`, id, userId),
          secret('content', patch.content),
        );
      if (patch.reasoning !== undefined) {
        set[`reasoning_${side}`] = keys.encrypt(
          field(`reasoning_${side}`, id, userId),
          secret('reasoning', patch.reasoning),
        );
      }
      if (patch.status !== undefined) set[`status_${side}`] = checkStatus(patch.status);
      if (patch.error !== undefined) set[`error_${side}`] = diagnostic(patch.error);
      if (patch.reasoningMs !== undefined)
        set[`reasoning_ms_${side}`] = countOrNull(
          'reasoningMs',
          patch.reasoningMs === null ? null : Math.round(patch.reasoningMs),
        );
      if (Object.keys(set).length === 0) return (await this.get(id, userId)) !== null;
      const result = await db
        .updateTable('arena_battles')
        .set(set)
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async vote(id, userId, vote, now = new Date()) {
      if (!VOTES.includes(vote)) throw new StoreValidationError('vote', `must be one of ${VOTES.join(', ')}`);
      if (!isRowId(id) || !isRowId(userId)) return 'not_found';
      // Only a battle without a vote is updated, so two racing votes cannot both count.
      const result = await db
        .updateTable('arena_battles')
        .set({ vote, voted_at: now.getTime() })
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .where('vote', 'is', null)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) > 0) return 'voted';
      const exists = await db
        .selectFrom('arena_battles')
        .select('id')
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return exists ? 'already_voted' : 'not_found';
    },

    async votes(options = {}) {
      const rows = await db
        .selectFrom('arena_battles')
        .select(['model_a', 'model_b', 'vote'])
        .where('vote', 'is not', null)
        // The newest `limit` votes, handed back oldest first.
        .orderBy('voted_at', 'desc')
        .orderBy('id', 'desc')
        .limit(clampLimit(options.limit, 100_000, 1_000_000))
        .execute();
      return rows.reverse().map((r) => ({ modelA: r.model_a, modelB: r.model_b, vote: r.vote as ArenaVote }));
    },
  };
}
