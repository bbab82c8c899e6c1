/**
 * The inference contracts every provider implements (design §3).
 * Types only: nothing here has effects.
 */

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: ChatRole;
  content: string;
  /** The model's reasoning for an assistant turn. Stripped from earlier turns by the history policy. */
  reasoning?: string;
}

export type ThinkingEffort = 'low' | 'medium' | 'high';

export interface ThinkingOptions {
  /** `false` answers without reasoning (the `<think>` segment is closed at once). Default `true`. */
  enabled: boolean;
  /** Hard cap on reasoning tokens; when reached the reasoning segment is closed and the answer begins. */
  budgetTokens?: number;
  /** Maps to a budget when `budgetTokens` is not given (see `effortToBudget`). */
  effort?: ThinkingEffort;
}

export interface ChatRequest {
  /** Model id as listed by `Provider.models()`. */
  model: string;
  /**
   * A trailing assistant message is continued (prefix completion): the generated text is what comes
   * after its `content` (or after its `reasoning`, when `content` is empty and the reasoning was cut off),
   * not a new turn.
   */
  messages: ChatMessage[];
  /** Cap on generated tokens, reasoning and answer together. Default: the rest of the context. */
  maxTokens?: number;
  /** Default `{ enabled: true }`. */
  thinking?: ThinkingOptions;
  /** Default 0.6 (DeepSeek-R1 model card). */
  temperature?: number;
  /** Default 0.95 (DeepSeek-R1 model card). */
  topP?: number;
  stop?: string[];
  seed?: number;
}

export type FinishReason = 'stop' | 'length' | 'cancelled' | 'error';

export interface UsageChunk {
  type: 'usage';
  promptTokens: number;
  /** Prompt tokens whose KV was already present (slot reuse / prefix cache) and not evaluated again. */
  cachedPromptTokens: number;
  /** All generated tokens, reasoning included. */
  completionTokens: number;
  reasoningTokens: number;
}

export type ChatChunk =
  | { type: 'queued'; position: number; etaMs?: number }
  /** `tokens`: how many reasoning tokens this chunk holds, where the provider knows (the embedded engine). */
  | { type: 'reasoning'; text: string; tokens?: number }
  | { type: 'text'; text: string }
  | UsageChunk
  | {
      type: 'done';
      finishReason: FinishReason;
      /** What the user is told. */
      error?: string;
      /** What went wrong in full (upstream host, status, cause): for logs and admin pages, never for users. */
      detail?: string;
    };

export type ModelState = 'ready' | 'loading' | 'downloading' | 'unavailable';

export interface ModelInfo {
  id: string;
  /** Id of the provider serving it (`embedded`, or an upstream id). */
  provider: string;
  state: ModelState;
  contextSize?: number;
  /** 0..1 while `state` is `downloading`. */
  downloadProgress?: number;
  /** Human-readable reason when `state` is `unavailable`. */
  detail?: string;
  /** Thinking budget per effort for this model, where the provider chooses its own (see `thinking-budgets.ts`). */
  thinkingBudgets?: Record<ThinkingEffort, number>;
  /** The provider honours `ChatOptions.endThinking` for this model. */
  canEndThinking?: boolean;
}

export interface Health {
  ok: boolean;
  detail?: string;
  /** Slots (or upstream capacity) in use and total, where the provider knows them. */
  slotsBusy?: number;
  slotsTotal?: number;
  queueDepth?: number;
}

export interface ChatOptions {
  signal: AbortSignal;
  /** Stable key (e.g. a conversation id) used to route a request to the slot that already holds its prefix. */
  affinityKey?: string;
  /**
   * Aborting it ends the reasoning now: the provider closes `</think>` and the answer follows in the same
   * stream. Only honoured for models whose `ModelInfo.canEndThinking` is true.
   */
  endThinking?: AbortSignal;
}

export interface Provider {
  readonly id: string;
  models(): Promise<ModelInfo[]>;
  /**
   * Streams one completion. The stream always ends with exactly one `done` chunk, preceded by a `usage`
   * chunk when any tokens were processed. Request errors that are known before generation starts
   * (unknown model, prompt too long, bad parameters) are thrown as `InferenceError` from the first `next()`.
   */
  chat(req: ChatRequest, opts: ChatOptions): AsyncIterable<ChatChunk>;
  health(): Promise<Health>;
  [Symbol.asyncDispose](): Promise<void>;
}

export type InferenceErrorCode =
  | 'model_not_found'
  | 'model_not_ready'
  | 'invalid_request'
  | 'context_overflow'
  | 'overloaded'
  | 'upstream_error'
  | 'engine_error';

/** The one error type that crosses the inference boundary; `code` lets callers map it to a status. */
export class InferenceError extends Error {
  override readonly name = 'InferenceError';
  /** The full story for logs and admin pages (may name internal hosts); `message` is what users see. */
  readonly detail: string | undefined;
  constructor(
    readonly code: InferenceErrorCode,
    message: string,
    options?: { cause?: unknown; detail?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.detail = options?.detail;
  }
}

/** What users are told when a model server failed; the detail goes to logs and admin pages. */
export const MODEL_SERVER_UNAVAILABLE = 'The model server is unavailable; try again shortly.';

/** Reasoning budgets used when a request names an effort instead of a token count. */
export const EFFORT_BUDGET_TOKENS: Record<ThinkingEffort, number> = {
  low: 1024,
  medium: 4096,
  high: 16384,
};

/** The budget a request asks for: its own, else its effort's in `table` (a model's, or the defaults). */
export function effortToBudget(
  thinking: ThinkingOptions | undefined,
  table: Record<ThinkingEffort, number> = EFFORT_BUDGET_TOKENS,
): number | undefined {
  if (!thinking?.enabled) return undefined;
  if (thinking.budgetTokens !== undefined) return thinking.budgetTokens;
  return thinking.effort ? table[thinking.effort] : undefined;
}

export const DEFAULT_TEMPERATURE = 0.6;
export const DEFAULT_TOP_P = 0.95;
