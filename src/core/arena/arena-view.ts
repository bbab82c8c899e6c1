/**
 * What the browser sees of a battle: the anonymous view (models only once voted), whether a vote may be
 * taken, and a side's events as replayed from the store. Pure functions over the stored record, apart
 * from arena-service.ts, which runs the battles.
 */
import type { ArenaBattleView, ArenaSide, ArenaSideView } from '../../api/arena.ts';
import type { GenerationEvent, MetaEventData } from '../../api/conversations.ts';
import type { ArenaBattleRecord, ArenaSideRecord } from '../../store/types.ts';
import { replayFromMessage } from '../chat/event-log.ts';

export function anonymousMeta(battleId: string, side: ArenaSide): MetaEventData {
  // No model, no thinking budget, no "answer now": each differs per model and would name it.
  return {
    generationId: '',
    conversationId: battleId,
    userMessageId: '',
    assistantMessageId: side,
    model: '',
  };
}

/** A side's events rebuilt from the saved side, for a log that no longer holds them. */
export function savedSideEvents(
  battleId: string,
  side: ArenaSide,
  saved: ArenaSideRecord,
): GenerationEvent[] {
  const finishReason =
    saved.status === 'complete' ? 'stop' : saved.status === 'error' ? 'error' : ('cancelled' as const);
  const error =
    saved.status === 'error'
      ? (saved.error ?? 'generation failed')
      : saved.status === 'interrupted'
        ? 'interrupted: the server stopped during this answer'
        : undefined;
  return replayFromMessage({
    meta: anonymousMeta(battleId, side),
    reasoning: saved.reasoning,
    text: saved.content,
    finishReason,
    ...(error ? { error } : {}),
  });
}

function answered(s: ArenaSideRecord): boolean {
  return (
    (s.status === 'complete' || s.status === 'cancelled' || s.status === 'interrupted') &&
    s.content.trim() !== ''
  );
}

export function voteBlocked(battle: ArenaBattleRecord): ArenaBattleView['voteBlocked'] {
  if (battle.vote) return 'voted';
  if (battle.a.status === 'streaming' || battle.b.status === 'streaming') return 'streaming';
  if (!answered(battle.a) || !answered(battle.b)) return 'no_answer';
  return undefined;
}

function sideView(side: ArenaSide, s: ArenaSideRecord, revealed: boolean): ArenaSideView {
  return {
    side,
    content: s.content,
    reasoning: s.reasoning,
    status: s.status,
    ...(s.error ? { error: s.error } : {}),
    ...(s.reasoningMs === null ? {} : { reasoningMs: s.reasoningMs }),
    ...(revealed ? { model: s.model } : {}),
  };
}

/** What the browser may see: models only once voted. */
export function view(battle: ArenaBattleRecord): ArenaBattleView {
  const revealed = battle.vote !== null;
  const blocked = voteBlocked(battle);
  return {
    id: battle.id,
    prompt: battle.prompt,
    createdAt: battle.createdAt.toISOString(),
    sides: [sideView('a', battle.a, revealed), sideView('b', battle.b, revealed)],
    vote: battle.vote,
    canVote: blocked === undefined,
    ...(blocked ? { voteBlocked: blocked } : {}),
  };
}
