/**
 * The tool-call rows of `bench:engine`: what the grammar costs a forced call, and what continuing after a
 * tool result evaluates again. Same engine, same slot, same run as the free decode they are compared to.
 */
import { performance } from 'node:perf_hooks';
import type { EmbeddedProvider } from '../src/inference/llama/index.ts';
import type { ChatMessage, ChatRequest, ToolCall, ToolDefinition } from '../src/inference/types.ts';

/** Five fields of different kinds, as an agent's typical function. */
const BOOKING: ToolDefinition = {
  name: 'book_table',
  description: 'Book a restaurant table',
  parameters: {
    type: 'object',
    properties: {
      restaurant: { type: 'string', maxLength: 40 },
      guests: { type: 'integer' },
      date: { type: 'string', format: 'date' },
      seating: { enum: ['inside', 'terrace', 'bar'] },
      notes: { type: 'array', items: { type: 'string', maxLength: 20 }, maxItems: 3 },
    },
    required: ['restaurant', 'guests', 'date', 'seating', 'notes'],
    additionalProperties: false,
  },
};

interface Timed {
  /** Generated tokens after the first one, and the time they took. */
  tokens: number;
  ms: number;
  promptTokens: number;
  cached: number;
  reasoning: string;
  call?: ToolCall;
}

async function timed(provider: EmbeddedProvider, req: ChatRequest, key: string): Promise<Timed> {
  let first = 0;
  let last = 0;
  let tokens = 0;
  let promptTokens = 0;
  let cached = 0;
  let call: ToolCall | undefined;
  let reasoning = '';
  for await (const c of provider.chat(req, { signal: AbortSignal.timeout(600_000), affinityKey: key })) {
    if (c.type === 'text' || c.type === 'tool_call' || c.type === 'reasoning') {
      last = performance.now();
      if (!first) first = last;
    }
    if (c.type === 'reasoning') reasoning += c.text;
    if (c.type === 'tool_call') {
      call ??= { id: c.id ?? '', name: c.name ?? '', arguments: '' };
      call.arguments += c.arguments;
    } else if (c.type === 'usage') {
      tokens = c.completionTokens;
      promptTokens = c.promptTokens;
      cached = c.cachedPromptTokens;
    } else if (c.type === 'done' && c.finishReason === 'error')
      throw new Error(`generation failed: ${c.error}`);
  }
  return { tokens: tokens - 1, ms: last - first, promptTokens, cached, reasoning, ...(call ? { call } : {}) };
}

export interface ToolCallBench {
  /** ms per token of a forced call's arguments, and of free text of the same length. */
  callMsPerToken: number;
  freeMsPerToken: number;
  callTokens: number;
  /** Continuing after the result: prompt tokens found in the slot's KV, of all. */
  resultCached: number;
  resultPrompt: number;
}

export async function benchToolCalls(
  provider: EmbeddedProvider,
  model: string,
  rounds: number,
): Promise<ToolCallBench> {
  const question: ChatMessage = {
    role: 'user',
    content: 'Book a table for four on the terrace next Friday.',
  };
  const calls: Timed[] = [];
  const free: Timed[] = [];
  for (let round = 0; round < rounds; round++) {
    // Thinking off: the call (or the text) is all that is decoded, so the two are comparable token for token.
    const call = await timed(
      provider,
      {
        model,
        messages: [question],
        tools: [BOOKING],
        toolChoice: 'required',
        thinking: { enabled: false },
        seed: round,
      },
      `call-${round}`,
    );
    calls.push(call);
    free.push(
      await timed(
        provider,
        {
          model,
          messages: [question],
          thinking: { enabled: false },
          maxTokens: call.tokens + 1,
          seed: round,
        },
        `free-${round}`,
      ),
    );
  }
  const perToken = (xs: Timed[]) => xs.reduce((s, x) => s + x.ms, 0) / xs.reduce((s, x) => s + x.tokens, 0);
  // A conversation of some length, a forced call, then its result: the follow-up must find everything
  // but the result (and the turn markers around it) in the slot.
  const history: ChatMessage[] = [
    { role: 'user', content: 'Plan a dinner for my team. '.repeat(60) },
    { role: 'assistant', content: 'Happy to help. How many people, and which evening?' },
    question,
  ];
  const first = await timed(
    provider,
    {
      model,
      messages: history,
      tools: [BOOKING],
      toolChoice: 'required',
      thinking: { enabled: true, budgetTokens: 32 },
    },
    'round-trip',
  );
  if (!first.call) throw new Error('the forced call produced no tool call');
  const followUp = await timed(
    provider,
    {
      model,
      messages: [
        ...history,
        { role: 'assistant', content: '', reasoning: first.reasoning, toolCalls: [first.call] },
        { role: 'tool', toolCallId: first.call.id, content: '{"booked":true,"table":12}' },
      ],
      tools: [BOOKING],
      maxTokens: 8,
    },
    'round-trip',
  );
  return {
    callMsPerToken: perToken(calls),
    freeMsPerToken: perToken(free),
    callTokens: Math.round(calls.reduce((s, x) => s + x.tokens, 0) / calls.length),
    resultCached: followUp.cached,
    resultPrompt: followUp.promptTokens,
  };
}
