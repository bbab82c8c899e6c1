/** The arena's web API (`/api/arena/*`): start a battle, stream each side, stop a side, vote. */
import type { ArenaBattleResponse, ArenaBattleView, ArenaSide, ArenaVote } from '../../../src/api/arena.ts';
import { api } from './client.ts';
import { type GenerationEvent, openEventStream } from './generation-stream.ts';
import type { SseParser } from './sse.ts';
import type { ThinkingOption } from './types.ts';

export type {
  ArenaBattleView,
  ArenaLeaderboard,
  ArenaLeaderboardEntry,
  ArenaSide,
  ArenaSideView,
  ArenaVote,
} from '../../../src/api/arena.ts';

const battlePath = (id: string) => `/api/arena/battles/${encodeURIComponent(id)}`;

/** Asks two anonymous models; throws ApiError (409 `arena_unavailable` with fewer than two models). */
export async function startBattle(content: string, thinking?: ThinkingOption): Promise<ArenaBattleView> {
  const body = thinking ? { content, thinking } : { content };
  return (await api<ArenaBattleResponse>('/api/arena/battles', { method: 'POST', body })).battle;
}

export async function getBattle(id: string): Promise<ArenaBattleView> {
  return (await api<ArenaBattleResponse>(battlePath(id))).battle;
}

export function sideEvents(
  id: string,
  side: ArenaSide,
  lastEventId: string | undefined,
  signal: AbortSignal,
): Promise<{ events: AsyncGenerator<GenerationEvent>; parser: SseParser }> {
  return openEventStream(`${battlePath(id)}/sides/${side}/events`, lastEventId, signal);
}

export async function stopSide(id: string, side: ArenaSide): Promise<void> {
  await api(`${battlePath(id)}/sides/${side}/stop`, { method: 'POST', body: {} });
}

/** Votes and returns the battle with the models revealed. */
export async function vote(id: string, choice: ArenaVote): Promise<ArenaBattleView> {
  return (
    await api<ArenaBattleResponse>(`${battlePath(id)}/vote`, { method: 'POST', body: { vote: choice } })
  ).battle;
}
