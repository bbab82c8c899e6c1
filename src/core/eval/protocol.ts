/**
 * The protocol DeepSeek reported R1 under: temperature 0.6, top-p 0.95, up to 32 768 generated tokens,
 * k samples per problem, no system prompt, and one user message: the problem, then the instruction to
 * reason step by step and box the final answer. A thinking budget (tokens or effort) varies only in
 * budget-curve runs.
 */
import type { ChatRequest, ThinkingEffort, ThinkingOptions } from '../../inference/types.ts';
import type { EvalProblem } from './suites/types.ts';

export const PROTOCOL = {
  temperature: 0.6,
  topP: 0.95,
  maxTokens: 32_768,
  k: 1,
  instruction: 'Please reason step by step, and put your final answer within \\boxed{}.',
} as const;

/** Multiple choice: the same instruction, asking for the letter in the box. */
const CHOICE_INSTRUCTION =
  'Please reason step by step, and put the letter of your final answer within \\boxed{}.';

/** A thinking setting of a run: the model's default, off, a token budget, or an effort. */
export type Budget =
  | { type: 'default' }
  | { type: 'off' }
  | { type: 'tokens'; tokens: number }
  | { type: 'effort'; effort: ThinkingEffort };

const EFFORTS: readonly ThinkingEffort[] = ['low', 'medium', 'high'];

/** `default`, `off`, a number of tokens, or `low`/`medium`/`high`; throws a `RangeError` naming the value. */
export function parseBudget(raw: string): Budget {
  const s = raw.trim().toLowerCase();
  if (s === 'default' || s === '') return { type: 'default' };
  if (s === 'off' || s === '0') return { type: 'off' };
  if ((EFFORTS as readonly string[]).includes(s)) return { type: 'effort', effort: s as ThinkingEffort };
  if (/^\d+$/.test(s) && Number(s) > 0 && Number(s) <= 1_000_000)
    return { type: 'tokens', tokens: Number(s) };
  throw new RangeError(`budget "${raw}" is not default, off, low, medium, high or a number of tokens`);
}

export function budgetLabel(b: Budget): string {
  switch (b.type) {
    case 'default':
    case 'off':
      return b.type;
    case 'tokens':
      return String(b.tokens);
    case 'effort':
      return b.effort;
    default:
      return b satisfies never;
  }
}

function thinkingOf(b: Budget): ThinkingOptions {
  switch (b.type) {
    case 'default':
      return { enabled: true };
    case 'off':
      return { enabled: false };
    case 'tokens':
      return { enabled: true, budgetTokens: b.tokens };
    case 'effort':
      return { enabled: true, effort: b.effort };
    default:
      return b satisfies never;
  }
}

export interface ProtocolSettings {
  temperature: number;
  topP: number;
  maxTokens: number;
}

/** The one user message a problem becomes (no system prompt). */
export function promptOf(problem: EvalProblem): string {
  return `${problem.problem}\n${problem.kind === 'choice' ? CHOICE_INSTRUCTION : PROTOCOL.instruction}`;
}

export function requestFor(
  problem: EvalProblem,
  model: string,
  budget: Budget,
  s: ProtocolSettings,
): ChatRequest {
  return {
    model,
    messages: [{ role: 'user', content: promptOf(problem) }],
    maxTokens: s.maxTokens,
    temperature: s.temperature,
    topP: s.topP,
    thinking: thinkingOf(budget),
  };
}
