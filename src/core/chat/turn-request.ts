/**
 * The provider request of one chat turn: history after the history policy, the thinking budget (explicit,
 * else the effort's in the model's own table, else the defaults; capped by the plan), and for "Continue"
 * the answer being continued as the trailing assistant message, its reasoning kept.
 */
import type { ThinkingBody } from '../../api/conversations.ts';
import { stripHistoricalReasoning } from '../../inference/history.ts';
import {
  type ChatMessage,
  type ChatRequest,
  effortToBudget,
  type ModelInfo,
  type ThinkingOptions,
} from '../../inference/types.ts';
import type { MessageRecord } from '../../store/types.ts';
import { ConversationError, notFound } from '../conversations/errors.ts';

export interface TurnRequestOptions {
  model: ModelInfo;
  /** Earlier messages, oldest first, ending with the user message being answered. */
  history: MessageRecord[];
  /** The answer to go on with ("Continue"). */
  continues?: MessageRecord;
  thinking?: ThinkingBody;
  /** The user's plan cap on the budget. */
  cap?: number;
  keepReasoning: boolean;
  maxTokens?: number;
}

export function turnRequest(o: TurnRequestOptions): ChatRequest {
  const messages: ChatMessage[] = o.history.map((m) =>
    m.role === 'assistant' && m.reasoning
      ? { role: m.role, content: m.content, reasoning: m.reasoning }
      : { role: m.role, content: m.content },
  );
  const { thinking, cap } = o;
  const options: ThinkingOptions = { enabled: thinking?.enabled ?? true };
  if (thinking?.effort) options.effort = thinking.effort;
  const budget = effortToBudget(
    options.enabled
      ? { ...options, ...(thinking?.budgetTokens ? { budgetTokens: thinking.budgetTokens } : {}) }
      : undefined,
    o.model.thinkingBudgets,
  );
  if (budget !== undefined || cap !== undefined) {
    options.budgetTokens = Math.min(budget ?? Number.POSITIVE_INFINITY, cap ?? Number.POSITIVE_INFINITY);
  }
  const prompt = stripHistoricalReasoning(messages, { keepReasoning: o.keepReasoning });
  if (o.continues) {
    // The answer being continued keeps its reasoning: cut off while thinking, the model thinks on from it.
    const c = o.continues;
    prompt.push(
      c.reasoning === ''
        ? { role: 'assistant', content: c.content }
        : { role: 'assistant', content: c.content, reasoning: c.reasoning },
    );
  }
  const req: ChatRequest = { model: o.model.id, messages: prompt, thinking: options };
  if (o.maxTokens !== undefined) req.maxTokens = o.maxTokens;
  return req;
}

/** The budget to show while the answer thinks: a finite one the request carries. */
export function shownBudget(req: ChatRequest): number | undefined {
  const b = req.thinking?.enabled === false ? undefined : req.thinking?.budgetTokens;
  return b !== undefined && Number.isFinite(b) ? b : undefined;
}

/**
 * The answer `messageId` names and the question it answers, if it can be continued: an answer cut off by
 * the token or context limit, or stopped. Throws `not_found`, `invalid_request` or `conflict`.
 */
export function continuable(
  tree: MessageRecord[],
  messageId: string,
): { target: MessageRecord; question: MessageRecord } {
  const target = tree.find((m) => m.id === messageId);
  if (!target) throw notFound('message');
  const question = tree.find((m) => m.id === target.parentId);
  if (target.role !== 'assistant' || question?.role !== 'user') {
    throw new ConversationError('invalid_request', 'Only an answer can be continued.', 'messageId');
  }
  if (target.status === 'streaming') {
    throw new ConversationError('conflict', 'That answer is still being generated.');
  }
  const cut =
    target.finishReason === 'length' || target.status === 'cancelled' || target.status === 'interrupted';
  if (!cut) {
    throw new ConversationError(
      'conflict',
      'That answer ended on its own; only a cut-off or stopped answer can be continued.',
    );
  }
  return { target, question };
}
