/**
 * The arena's web API (`/api/arena/*`, `/api/admin/arena/leaderboard`): a question answered by two
 * anonymous models side by side, a vote, then the reveal; and the instance leaderboard. Types and zod
 * schemas only (shared with the web app).
 */
import { z } from 'zod';
import { MAX_MESSAGE_CHARS, thinkingSchema } from './conversations.ts';

export const ARENA_SIDES = ['a', 'b'] as const;
export type ArenaSide = (typeof ARENA_SIDES)[number];

/** `a` / `b`: that side answered better; `tie`: equally good; `both_bad`: neither is good (rated as a tie). */
export const ARENA_VOTES = ['a', 'b', 'tie', 'both_bad'] as const;
export type ArenaVote = (typeof ARENA_VOTES)[number];

export const createBattleBodySchema = z.strictObject({
  content: z.string().trim().min(1).max(MAX_MESSAGE_CHARS),
  thinking: thinkingSchema.optional(),
});
export type CreateBattleBody = z.infer<typeof createBattleBodySchema>;

export const voteBodySchema = z.strictObject({ vote: z.enum(ARENA_VOTES) });
export type VoteBody = z.infer<typeof voteBodySchema>;

export type ArenaSideStatus = 'streaming' | 'complete' | 'cancelled' | 'error' | 'interrupted';

export interface ArenaSideView {
  side: ArenaSide;
  content: string;
  reasoning: string;
  status: ArenaSideStatus;
  error?: string;
  reasoningMs?: number;
  /** Only once the battle is voted on: which model wrote this side. */
  model?: string;
}

export interface ArenaBattleView {
  id: string;
  prompt: string;
  createdAt: string;
  sides: [ArenaSideView, ArenaSideView];
  /** `null` until voted. */
  vote: ArenaVote | null;
  /**
   * A vote is taken once both sides ended and both gave an answer (text). A side that failed or was
   * stopped before answering leaves the battle unrated: the reason is in `voteBlocked`.
   */
  canVote: boolean;
  voteBlocked?: 'streaming' | 'no_answer' | 'voted';
}

export interface ArenaBattleResponse {
  battle: ArenaBattleView;
}

export interface ArenaLeaderboardEntry {
  model: string;
  /** Bradley–Terry strength on the Elo scale (400·log10), centred on 1000. */
  rating: number;
  /** Bootstrap 95% interval of `rating`. */
  ciLow: number;
  ciHigh: number;
  votes: number;
  wins: number;
  losses: number;
  /** Ties and "both bad" votes, each counted as half a win for both models. */
  ties: number;
}

export interface ArenaLeaderboard {
  method: 'bradley-terry';
  /** Voted battles taken into account. */
  battles: number;
  bootstrapRounds: number;
  models: ArenaLeaderboardEntry[];
}
