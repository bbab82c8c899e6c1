/**
 * History policy (design §3): earlier assistant turns go back into the prompt without their reasoning,
 * as the R1 chat template itself does (it cuts everything up to `</think>` from assistant messages).
 * Reasoning is long and was never meant to condition the next turn; keeping it wastes context and
 * drifts R1 models. Some models want it back: `keepReasoning` leaves it in place.
 */

import { createThinkTagParser } from './reasoning-normaliser.ts';
import type { ChatMessage } from './types.ts';

export interface HistoryPolicyOptions {
  /** Keep earlier turns' reasoning (the `reasoning` field and inline `<think>` blocks). Default `false`. */
  keepReasoning?: boolean;
}

/**
 * Splits an assistant `content` that still holds an inline `<think>…</think>` block (a message imported or
 * written by a client that does not separate reasoning) into reasoning and answer.
 */
export function splitInlineReasoning(content: string): { reasoning: string; text: string } {
  if (!content.includes('</think>')) return { reasoning: '', text: content };
  // An R1-distill transcript may hold only `</think>` (the template opened the block); a leading
  // `<think>` is dropped in that mode, so only an opening tag after some text needs text mode.
  const startInReasoning = /^\s*<think>/.test(content) || !content.includes('<think>');
  const parser = createThinkTagParser({ startInReasoning });
  const segments = [...parser.push(content), ...parser.flush()];
  let reasoning = '';
  let text = '';
  for (const s of segments) {
    if (s.type === 'reasoning') reasoning += s.text;
    else text += s.text;
  }
  return { reasoning, text };
}

/**
 * Returns the messages to prompt with: every assistant message loses its reasoning unless
 * `keepReasoning` is set or it called tools. Inline reasoning in an assistant `content` is moved out too (and, with
 * `keepReasoning`, into the `reasoning` field, so a provider formats it one way). Never mutates its input.
 */
export function stripHistoricalReasoning(
  messages: readonly ChatMessage[],
  options: HistoryPolicyOptions = {},
): ChatMessage[] {
  const keep = options.keepReasoning ?? false;
  return messages.map((m) => {
    if (m.role !== 'assistant') {
      const { reasoning: _ignored, ...rest } = m;
      return rest;
    }
    const inline = splitInlineReasoning(m.content);
    const calls = m.toolCalls && m.toolCalls.length > 0 ? { toolCalls: m.toolCalls } : {};
    // A turn that called tools keeps its reasoning: the model reasons across the calls of one answer,
    // and DeepSeek's API wants that reasoning back with the calls.
    if (!keep && !calls.toolCalls) return { role: m.role, content: inline.text };
    const reasoning = [m.reasoning ?? '', inline.reasoning].filter((r) => r !== '').join('\n\n');
    return reasoning === ''
      ? { role: m.role, content: inline.text, ...calls }
      : { role: m.role, content: inline.text, reasoning, ...calls };
  });
}
