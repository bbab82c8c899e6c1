/**
 * One completion on one slot: validates and prices the request (prompt tokens, context room), then runs
 * node-llama-cpp's `LlamaChat` on the slot's sequence, mapping thought segments to `reasoning` chunks and
 * the rest to `text`, and ends with `usage` + `done`.
 */
import {
  type ChatHistoryItem,
  LlamaChat,
  type LlamaChatResponseChunk,
  type LlamaModel,
  TokenBias,
} from 'node-llama-cpp';
import {
  type ChatChunk,
  type ChatRequest,
  DEFAULT_TEMPERATURE,
  DEFAULT_TOP_P,
  effortToBudget,
  type FinishReason,
  InferenceError,
} from '../types.ts';
import {
  continuationTurn,
  R1ChatWrapper,
  type ThinkingMode,
  toChatHistory,
  withOpenModelTurn,
} from './chat-wrapper.ts';
import type { LoadedModel, Slot } from './model-registry.ts';
import { commonPrefixLength } from './slot-scheduler.ts';

/** Room kept free for tokens node-llama-cpp injects itself (closing `</think>` when a budget runs out). */
const INJECT_RESERVE = 8;

export interface PreparedRequest {
  history: ChatHistoryItem[];
  wrapper: R1ChatWrapper;
  promptTokens: number[];
  /** Cap on generated tokens: the request's, or what is left of the slot's context. */
  maxTokens: number;
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
    if (m.role !== 'system' && m.role !== 'user' && m.role !== 'assistant') {
      bad(`messages[${i}].role must be system, user or assistant`);
    }
  }
  if (req.messages.some((m) => m.reasoning !== undefined && typeof m.reasoning !== 'string'))
    bad('messages[].reasoning must be a string');
  if (req.messages.every((m) => m.content.trim() === '' && (m.reasoning ?? '').trim() === ''))
    bad('the prompt is empty: every message has empty content');
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
  const promptTokens = wrapper.promptTokens(history, loaded.model.tokenizer);
  // node-llama-cpp keeps one cell of a sequence free.
  const room = loaded.contextSize - 1 - INJECT_RESERVE - promptTokens.length;
  if (room < 1) {
    throw new InferenceError(
      'context_overflow',
      `The prompt is ${promptTokens.length} tokens but the context holds ${loaded.contextSize} tokens per request (${loaded.contextSize - 1 - INJECT_RESERVE} for prompt and answer together); shorten the conversation`,
    );
  }
  return {
    history,
    wrapper,
    promptTokens,
    maxTokens: Math.min(req.maxTokens ?? room, room),
    thoughtBudget: mode === 'off' ? undefined : budget,
  };
}

export interface GenerationOptions {
  slot: Slot;
  loaded: LoadedModel;
  req: ChatRequest;
  prepared: PreparedRequest;
  signal: AbortSignal;
  /** "Answer now": when aborted, the open reasoning is closed and the answer follows. */
  endThinking?: AbortSignal;
  emit: (chunk: ChatChunk) => void;
  ignoreEos: boolean;
}

/** Streams one completion; always ends with `usage` and `done` (errors become `done: error`). */
export async function generate(o: GenerationOptions): Promise<void> {
  const { slot, loaded, req, prepared, signal, emit } = o;
  const cachedPromptTokens = Math.min(
    commonPrefixLength(slot.sequence.contextTokens, prepared.promptTokens),
    prepared.promptTokens.length - 1,
  );
  let completionTokens = 0;
  let reasoningTokens = 0;
  const thinkingOff = prepared.wrapper.thinking === 'off';
  const onResponseChunk = (chunk: LlamaChatResponseChunk) => {
    completionTokens += chunk.tokens.length;
    if (chunk.type === 'segment' && chunk.segmentType === 'thought') {
      reasoningTokens += chunk.tokens.length;
      // With thinking off the model could still open `<think>` on its own; its reasoning is not shown.
      if (!thinkingOff && chunk.text !== '')
        emit({ type: 'reasoning', text: chunk.text, tokens: chunk.tokens.length });
    } else if (chunk.text !== '') {
      emit({ type: 'text', text: chunk.text });
    }
  };
  // node-llama-cpp keeps this object and reads the thought budget before every token, so lowering it
  // to zero closes `</think>` at the next token: that is how "answer now" reaches a running generation.
  const budgets = {
    thoughtTokens: prepared.thoughtBudget ?? Number.POSITIVE_INFINITY,
    includeCurrentResponse: true,
  };
  const endThinking = (): void => {
    budgets.thoughtTokens = 0;
  };
  // Asked before the slot was free: still open the block (one token) so the answer follows a closed one.
  if (o.endThinking?.aborted) budgets.thoughtTokens = Math.min(budgets.thoughtTokens, 1);
  else o.endThinking?.addEventListener('abort', endThinking, { once: true });
  const chat = new LlamaChat({ contextSequence: slot.sequence, chatWrapper: prepared.wrapper });
  let finishReason: FinishReason = 'stop';
  let error: string | undefined;
  loaded.lockstep.join(slot.member);
  try {
    const res = await chat.generateResponse(prepared.history, {
      onResponseChunk,
      signal,
      stopOnAbortSignal: true,
      maxTokens: prepared.maxTokens,
      temperature: req.temperature ?? DEFAULT_TEMPERATURE,
      topP: req.topP ?? DEFAULT_TOP_P,
      seed: req.seed,
      customStopTriggers: req.stop,
      budgets,
      tokenBias: o.ignoreEos ? endOfGenerationBias(loaded.model) : undefined,
    });
    const reason = res.metadata.stopReason;
    if (signal.aborted || reason === 'abort') finishReason = 'cancelled';
    else if (reason === 'maxTokens') finishReason = 'length';
  } catch (err) {
    if (signal.aborted) finishReason = 'cancelled';
    else {
      finishReason = 'error';
      error = `generation failed: ${err instanceof Error ? err.message : String(err)}`;
    }
  } finally {
    o.endThinking?.removeEventListener('abort', endThinking);
    loaded.lockstep.leave(slot.member);
    chat.dispose({ disposeSequence: false });
  }
  emit({
    type: 'usage',
    promptTokens: prepared.promptTokens.length,
    cachedPromptTokens: Math.max(0, cachedPromptTokens),
    completionTokens,
    reasoningTokens,
  });
  emit(error === undefined ? { type: 'done', finishReason } : { type: 'done', finishReason, error });
}

/** Bans every end-of-generation token so random-weight test models run until `maxTokens`. */
function endOfGenerationBias(model: LlamaModel): TokenBias {
  const bias = new TokenBias(model.tokenizer);
  for (const t of [model.tokens.eos, model.tokens.eot, model.tokens.sep]) if (t != null) bias.set(t, 'never');
  for (const text of ['<｜end▁of▁sentence｜>', '<｜User｜>', '</think>']) {
    const tokens = model.tokenize(text, true);
    if (tokens.length === 1 && tokens[0] !== undefined) bias.set(tokens[0], 'never');
  }
  return bias;
}
