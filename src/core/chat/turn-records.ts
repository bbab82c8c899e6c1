/**
 * What an admitted chat turn writes before its generation runs: the user's message (titling a first
 * one), the generation with its streaming answer, the `meta` event, and a continued answer's replay.
 * Kept apart from chat-service.ts, which decides whether a turn may start and tracks it while it runs.
 */
import type { MetaEventData, ThinkingBody, TurnDocumentsBody } from '../../api/conversations.ts';
import { newId } from '../../store/ids.ts';
import type { MessageRecord, Store } from '../../store/types.ts';
import type { PreparedTurn } from '../turns/turn-pipeline.ts';
import { autoTitle } from './auto-title.ts';
import type { GenerationEventLog } from './event-log.ts';
import type { ChatLogger } from './generation-runner.ts';
import { shownBudget, turnMessages } from './turn-request.ts';

/** One turn as the chat service starts it: a new message, a regeneration or a continuation. */
export interface ChatTurn {
  body: {
    model?: string;
    thinking?: ThinkingBody;
    tools?: string[];
    search?: boolean;
    documents?: TurnDocumentsBody;
  };
  history: MessageRecord[];
  newUserMessage: { content: string; parentId: string | null } | null;
  /** The answer this turn continues (same message) instead of a new one. */
  continues?: MessageRecord;
  firstUserMessage: boolean;
  titleEmpty: boolean;
}

export interface StoredTurn {
  generationId: string;
  assistantMessageId: string;
  meta: MetaEventData;
  /** The prepared request with the turn's messages: what the provider gets. */
  request: PreparedTurn['request'];
}

/** Stores the user's message (if any) and the generation; returns what the `meta` event announces. */
export async function storeTurn(
  deps: { store: Store; logger: ChatLogger | undefined },
  userId: string,
  conversationId: string,
  turn: ChatTurn,
  prepared: PreparedTurn,
): Promise<StoredTurn> {
  const { store } = deps;
  const { model } = prepared;
  let history = turn.history;
  let userMessageId = history.at(-1)?.id ?? '';
  let title: string | undefined;
  if (turn.newUserMessage) {
    const userMessage = await store.messages.create({
      conversationId,
      userId,
      parentId: turn.newUserMessage.parentId,
      role: 'user',
      content: turn.newUserMessage.content,
    });
    userMessageId = userMessage.id;
    history = [...history, userMessage];
    if (turn.firstUserMessage && turn.titleEmpty)
      title = await autoTitle(store, deps.logger, userId, conversationId, userMessage);
  }
  const id = newId();
  const { message } = await store.generations.start({
    id,
    userId,
    conversationId,
    parentId: userMessageId,
    model: model.id,
    ...(turn.continues ? { continueMessageId: turn.continues.id } : {}),
  });
  const request = { ...prepared.request, messages: turnMessages(history, turn.continues) };
  const budget = shownBudget(request);
  const meta: MetaEventData = {
    generationId: id,
    conversationId,
    userMessageId,
    assistantMessageId: message.id,
    model: model.id,
    ...(title === undefined ? {} : { title }),
    ...(budget === undefined ? {} : { thinkingBudget: budget }),
    ...(model.canEndThinking ? { canEndThinking: true } : {}),
    ...(turn.continues ? { continues: true } : {}),
  };
  return { generationId: id, assistantMessageId: message.id, meta, request };
}

/**
 * `meta` resets a client's view of the message: a continuation first replays what it held, so every
 * client (and every reattach) ends up with the whole answer, not just its new part.
 */
export async function replayHeldAnswer(
  log: GenerationEventLog,
  generationId: string,
  held: MessageRecord | undefined,
): Promise<void> {
  if (held?.reasoning) {
    const tokens = held.usage?.reasoningTokens;
    const data = tokens === undefined ? { text: held.reasoning } : { text: held.reasoning, tokens };
    await log.append(generationId, { type: 'reasoning', data });
  }
  if (held?.content) await log.append(generationId, { type: 'text', data: { text: held.content } });
}
