/**
 * The inference contracts every provider implements (design §3).
 * Types only: nothing here has effects.
 */

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

/** A call the model made to one of the request's tools. */
export interface ToolCall {
  /** Unique within the conversation; a `role: 'tool'` message answers it by this id. */
  id: string;
  name: string;
  /** JSON text as the model wrote it (OpenAI's shape: a string, not an object; it may not even parse). */
  arguments: string;
}

export interface ChatMessage {
  role: ChatRole;
  /** For `tool`: the tool's result. For an assistant turn that only called tools: `''`. */
  content: string;
  /** The model's reasoning for an assistant turn. Stripped from earlier turns by the history policy. */
  reasoning?: string;
  /** Assistant turns: the tool calls the model made, in order. */
  toolCalls?: ToolCall[];
  /** `tool` messages: the `ToolCall.id` this result answers. */
  toolCallId?: string;
}

/** A function the model may call (OpenAI's `tools[].function`). */
export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments object. */
  parameters?: Record<string, unknown>;
  /** The arguments must match `parameters` exactly (OpenAI's structured outputs for tools). */
  strict?: boolean;
}

/** `auto`: the model decides; `none`: no call; `required`: at least one call; `{ name }`: that tool. */
export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

export type ResponseFormat =
  | { type: 'text' }
  /** The answer is one JSON object (any shape). */
  | { type: 'json_object' }
  /** The answer is JSON matching `schema`; with `strict` exactly (no extra keys, all required present). */
  | {
      type: 'json_schema';
      name: string;
      schema: Record<string, unknown>;
      strict?: boolean;
      description?: string;
    };

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
  /** Sample from the `topK` likeliest tokens only. Default: the provider's (llama.cpp: 40). */
  topK?: number;
  stop?: string[];
  seed?: number;
  /** Functions the model may call; the caller runs them and sends results back as `tool` messages. */
  tools?: ToolDefinition[];
  /** Default `auto` when `tools` is non-empty. */
  toolChoice?: ToolChoice;
  /** Whether one turn may hold several calls. Default: the server's (OpenAI: true). */
  parallelToolCalls?: boolean;
  /** Default `{ type: 'text' }`. */
  responseFormat?: ResponseFormat;
}

/** `tool_calls`: the turn ended with tool calls the caller is to run (see `ChatChunk` `tool_call`). */
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'cancelled' | 'error';

/** Whether a request asks for tool calling (tools offered and not switched off). */
export function wantsTools(req: Pick<ChatRequest, 'tools' | 'toolChoice'>): boolean {
  return (req.tools?.length ?? 0) > 0 && req.toolChoice !== 'none';
}

/** Whether a request asks for structured output (anything but plain text). */
export function wantsResponseFormat(req: Pick<ChatRequest, 'responseFormat'>): boolean {
  return req.responseFormat !== undefined && req.responseFormat.type !== 'text';
}

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
  /**
   * A piece of a tool call, streamed like OpenAI's `delta.tool_calls[]`: calls are numbered by `index`
   * from 0; the first chunk of an index carries its `id` and `name`, the following ones only further
   * `arguments` text (concatenated per index they give the JSON arguments). Calls come after any
   * reasoning, and a turn with calls ends `tool_calls`.
   */
  | {
      type: 'tool_call';
      index: number;
      id?: string;
      name?: string;
      arguments: string;
      /** A call of Ponder's own tools, complete, that the turn pipeline runs itself (not the client's to run). */
      ponder?: true;
    }
  /**
   * The result of a call Ponder ran itself (its own tools; a turn pipeline produces these, providers
   * never do): the turn then goes on with the model reading it.
   */
  | { type: 'tool_result'; id: string; name: string; content: string; isError: boolean; ms: number }
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
  /**
   * The provider passes `tools` / `toolChoice` / `parallelToolCalls` and tool messages to this model and
   * streams its calls back. Absent: requests asking for tool calls are refused before they reach it.
   */
  supportsTools?: boolean;
  /** Likewise for a non-text `responseFormat`. */
  supportsResponseFormat?: boolean;
  /** Embeddings (issue 13): what the model does; absent means `chat`. Chat on an embedding model is refused. */
  kind?: 'chat' | 'embedding';
  /** Embedding models: vector length where known, and whether `dimensions` may shorten it (Matryoshka). */
  embedding?: { dimensions?: number; matryoshka: boolean };
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
