/**
 * The messages and thinking of one chat turn. History goes to the provider whole (reasoning included):
 * the provider applies its model's history policy (`inference/history.ts`), in one place. An answer that
 * called tools becomes what the model saw: each round's reasoning with its calls, the results as `tool`
 * messages, then the rest of the answer. For "Continue" the answer being continued is the trailing
 * assistant message, its reasoning kept. The plan's cap on the budget is the turn pipeline's.
 */
import type { ThinkingBody, ToolStep } from '../../api/conversations.ts';
import type { ChatMessage, ThinkingOptions } from '../../inference/types.ts';
import type { MessageRecord } from '../../store/types.ts';
import { ConversationError, notFound } from '../conversations/errors.ts';

/** `history`: earlier messages, oldest first, ending with the user message being answered. */
export function turnMessages(history: MessageRecord[], continues?: MessageRecord): ChatMessage[] {
  const messages = history.flatMap((m) =>
    m.role === 'assistant' ? answerMessages(m) : [{ role: m.role, content: m.content }],
  );
  if (continues) {
    // The answer being continued keeps its reasoning: cut off while thinking, the model thinks on from it.
    const c = continues;
    messages.push(
      c.reasoning === ''
        ? { role: 'assistant', content: c.content }
        : { role: 'assistant', content: c.content, reasoning: c.reasoning },
    );
  }
  return messages;
}

/** An answer as the model produced it: rounds of reasoning and calls, their results, then the answer. */
function answerMessages(m: MessageRecord): ChatMessage[] {
  const steps = (m.toolSteps ?? []).filter(
    (s): s is ToolStep & { result: NonNullable<ToolStep['result']> } => !!s.result,
  );
  if (steps.length === 0)
    return [
      m.reasoning
        ? { role: 'assistant', content: m.content, reasoning: m.reasoning }
        : { role: 'assistant', content: m.content },
    ];
  const out: ChatMessage[] = [];
  let from = 0;
  for (let i = 0; i < steps.length; ) {
    // Calls made at the same point of the reasoning were one round.
    const offset = Math.min(steps[i]?.reasoningOffset ?? 0, m.reasoning.length);
    const round = steps.slice(i).filter((s, j) => j === 0 || s.reasoningOffset === steps[i]?.reasoningOffset);
    const reasoning = m.reasoning.slice(from, offset);
    out.push({
      role: 'assistant',
      content: '',
      ...(reasoning ? { reasoning } : {}),
      toolCalls: round.map((s) => ({ id: s.id, name: s.name, arguments: s.arguments })),
    });
    for (const s of round) out.push({ role: 'tool', toolCallId: s.id, content: s.result.content });
    from = offset;
    i += round.length;
  }
  const rest = m.reasoning.slice(from);
  out.push(
    rest
      ? { role: 'assistant', content: m.content, reasoning: rest }
      : { role: 'assistant', content: m.content },
  );
  return out;
}

/** What the user asked of the thinking; the model's effort table and the plan's cap apply later. */
export function turnThinking(thinking: ThinkingBody | undefined): ThinkingOptions {
  const options: ThinkingOptions = { enabled: thinking?.enabled ?? true };
  if (thinking?.effort) options.effort = thinking.effort;
  if (options.enabled && thinking?.budgetTokens) options.budgetTokens = thinking.budgetTokens;
  return options;
}

/** The budget to show while the answer thinks: a finite one the request carries. */
export function shownBudget(req: { thinking?: ThinkingOptions }): number | undefined {
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
