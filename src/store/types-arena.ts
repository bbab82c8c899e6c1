/** The arena's store: battles of two anonymous models on one question, and their votes. */
// The same unions as `src/api/arena.ts` (the store may not import the API's types; core passes them through).
export type ArenaSide = 'a' | 'b';
export type ArenaSideStatus = 'streaming' | 'complete' | 'cancelled' | 'error' | 'interrupted';
export type ArenaVote = 'a' | 'b' | 'tie' | 'both_bad';

export interface ArenaSideRecord {
  model: string;
  content: string;
  reasoning: string;
  status: ArenaSideStatus;
  error: string | null;
  reasoningMs: number | null;
}

export interface ArenaBattleRecord {
  id: string;
  userId: string;
  prompt: string;
  a: ArenaSideRecord;
  b: ArenaSideRecord;
  vote: ArenaVote | null;
  createdAt: Date;
  votedAt: Date | null;
}

export interface CreateBattleInput {
  userId: string;
  prompt: string;
  modelA: string;
  modelB: string;
}

export interface UpdateSideInput {
  content?: string;
  reasoning?: string;
  status?: ArenaSideStatus;
  error?: string | null;
  reasoningMs?: number | null;
}

/** One voted battle, for the leaderboard: no content, no owner. */
export interface ArenaVoteRecord {
  modelA: string;
  modelB: string;
  vote: ArenaVote;
}

export type VoteResult = 'voted' | 'not_found' | 'already_voted';

export interface ArenaStore {
  /** A new battle, both sides `streaming` and empty. `not_found` for an unknown user. */
  create(input: CreateBattleInput): Promise<ArenaBattleRecord>;
  /** The battle when it is `userId`'s, else `null` (another user's is exactly like an unknown one). */
  get(id: string, userId: string): Promise<ArenaBattleRecord | null>;
  /** Updates one side of the user's battle; `false` when it is not there (deleted, or not theirs). */
  updateSide(id: string, userId: string, side: ArenaSide, patch: UpdateSideInput): Promise<boolean>;
  /** Records the vote once (atomically): a second vote is `already_voted`. */
  vote(id: string, userId: string, vote: ArenaVote, now?: Date): Promise<VoteResult>;
  /** The instance's voted battles, oldest first: the newest `limit` (default 100 000) when there are more. */
  votes(options?: { limit?: number }): Promise<ArenaVoteRecord[]>;
}
