/**
 * Before a completion runs: the checks that need no model (`validateRequest`), then the prompt rendered
 * and priced against the slot's context (`prepareRequest`), choosing the chat wrapper's thinking mode
 * and the room left for the answer.
 */
import type { ChatHistoryItem, ChatModelFunctions } from 'node-llama-cpp';
import { type ChatRequest, effortToBudget, InferenceError } from '../types.ts';
import {
  continuationTurn,
  R1ChatWrapper,
  type ThinkingMode,
  toChatHistory,
  withOpenModelTurn,
} from './chat-wrapper.ts';
import { callSyntaxReserve, usableContext } from './context-room.ts';
import type { LoadedModel } from './model-registry.ts';
import { type AnswerPlan, answerPlan, chatFunctions, validateToolRequest } from './tool-calling.ts';

export interface PreparedRequest {
  history: ChatHistoryItem[];
  wrapper: R1ChatWrapper;
  /** The request's tools as node-llama-cpp functions, documented in the prompt; absent without tools. */
  functions: ChatModelFunctions | undefined;
  plan: AnswerPlan;
  promptTokens: number[];
  /** Cap on generated tokens: the request's, or what is left of the slot's context. */
  maxTokens: number;
  /** Tokens kept free for call syntax node-llama-cpp injects without counting it (0 without tools). */
  callReserve: number;
  thoughtBudget: number | undefined;
}

/** Checks that do not need the model. Throws `InferenceError('invalid_request')`. */
export function validateRequest(req: ChatRequest): void {
  const bad = (msg: string): never => {
    throw new InferenceError('invalid_request', msg);
  };
  if (!Array.isArray(req.messages) || req.messages.length === 0) bad('messages must not be empty');
  for (const [i, m] of req.messages.entries()) {
    if (m === null || typeof m !== 'object' || typeof m.content !== 'string')
      bad(`messages[${i}].content must be a string`);
    if (m.role !== 'system' && m.role !== 'user' && m.role !== 'assistant' && m.role !== 'tool') {
      bad(`messages[${i}].role must be system, user, assistant or tool`);
    }
  }
  if (req.messages.some((m) => m.reasoning !== undefined && typeof m.reasoning !== 'string'))
    bad('messages[].reasoning must be a string');
  if (
    req.messages.every(
      (m) => m.content.trim() === '' && (m.reasoning ?? '').trim() === '' && (m.toolCalls?.length ?? 0) === 0,
    )
  )
    bad('the prompt is empty: every message has empty content');
  validateToolRequest(req);
  if (req.maxTokens !== undefined && !(Number.isInteger(req.maxTokens) && req.maxTokens > 0)) {
    bad(`maxTokens must be a positive integer (got ${req.maxTokens})`);
  }
  const budget = req.thinking?.budgetTokens;
  if (budget !== undefined && !(Number.isInteger(budget) && budget >= 0)) {
    bad(`thinking.budgetTokens must be a non-negative integer (got ${budget})`);
  }
  if (req.temperature !== undefined && !(req.temperature >= 0 && req.temperature <= 2))
    bad('temperature must be in 0..2');
  if (req.topP !== undefined && !(req.topP > 0 && req.topP <= 1)) bad('topP must be in (0, 1]');
  if (req.seed !== undefined && !Number.isInteger(req.seed)) bad('seed must be an integer');
  if (req.topK !== undefined && !(Number.isInteger(req.topK) && req.topK >= 1))
    bad('topK must be a positive integer');
  if (
    req.stop !== undefined &&
    (!Array.isArray(req.stop) || req.stop.some((s) => typeof s !== 'string' || s === ''))
  ) {
    bad('stop must be a list of non-empty strings');
  }
}

const wrappers: Record<ThinkingMode, R1ChatWrapper> = {
  on: new R1ChatWrapper('on'),
  off: new R1ChatWrapper('off'),
  continue: new R1ChatWrapper('continue'),
  call: new R1ChatWrapper('call'),
};

/** Tokenizes the prompt and checks it fits. Throws `InferenceError('context_overflow')`. */
export function prepareRequest(req: ChatRequest, loaded: LoadedModel): PreparedRequest {
  let budget = effortToBudget(req.thinking, loaded.thinkingBudgets);
  const last = req.messages.at(-1);
  // A trailing assistant message is continued. Its answer had begun: go on after it (`continue`). Cut off
  // while thinking: reopen the thought with what it held, the budget counting the earlier tokens too.
  const answerBegun = last?.role === 'assistant' && last.content !== '';
  const thoughtSoFar = last?.role === 'assistant' && !answerBegun ? (last.reasoning ?? '') : '';
  let mode: ThinkingMode = answerBegun
    ? 'continue'
    : req.thinking?.enabled === false || budget === 0
      ? 'off'
      : 'on';
  if (thoughtSoFar !== '') {
    mode = 'on';
    if (budget !== undefined) budget = Math.max(1, budget - loaded.model.tokenize(thoughtSoFar).length);
  }
  const wrapper = thoughtSoFar === '' ? wrappers[mode] : new R1ChatWrapper('on', thoughtSoFar);
  const earlier = last?.role === 'assistant' ? req.messages.slice(0, -1) : req.messages;
  const history =
    answerBegun && last
      ? [...toChatHistory(earlier), continuationTurn(last)]
      : withOpenModelTurn(toChatHistory(earlier));
  const functions = chatFunctions(req);
  const promptTokens = wrapper.promptTokens(history, loaded.model.tokenizer, functions);
  const usable = usableContext(loaded.contextSize);
  const callReserve = callSyntaxReserve(wrapper, loaded.model.tokenizer, functions);
  const room = usable - callReserve - promptTokens.length;
  if (room < 1) {
    throw new InferenceError(
      'context_overflow',
      `The prompt is ${promptTokens.length} tokens but the context holds ${loaded.contextSize} tokens per request (${usable - callReserve} for prompt and answer together${callReserve > 0 ? ', less room kept for tool-call syntax' : ''}); shorten the conversation`,
    );
  }
  return {
    history,
    wrapper,
    functions,
    plan: answerPlan(req),
    promptTokens,
    maxTokens: Math.min(req.maxTokens ?? room, room),
    callReserve,
    thoughtBudget: mode === 'off' ? undefined : budget,
  };
}
