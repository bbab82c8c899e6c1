/**
 * Messages between the IPC client (`embedded-provider.ts`) and the engine child (`engine-process.ts`).
 * Sent with `serialization: 'advanced'` (structured clone), so plain objects only.
 */
import type { ThinkingBudgetRule } from '../thinking-budgets.ts';
import type { ChatChunk, ChatRequest, InferenceErrorCode, ModelInfo } from '../types.ts';
import type { EmbedWireResult } from './embedding-engine.ts';
import type { EmbeddingHint } from './embedding-traits.ts';

/** Engine settings fixed for the life of one child process. */
export interface EngineConfig {
  slots: number;
  threads: number;
  /** Tokens per slot. */
  contextSize: number;
  batchSize: number;
  gpu: 'off' | 'auto';
  /** Upper bound on memory a model may use; `os.freemem()` when undefined. Lets tests exercise the check. */
  freeMemoryLimitBytes?: number;
  /** Bans end-of-generation tokens so random-weight test models always run to `maxTokens`. Tests only. */
  ignoreEos: boolean;
  /** Wait this long at most for every active stream to queue its next token before decoding anyway. */
  lockstepFallbackMs: number;
  /** Chunks a request may have in flight before the child pauses it (credit-based backpressure). */
  creditWindow: number;
  /** Effort → budget rules tried before the built-in table (`thinking-budgets.ts`). */
  thinkingBudgets?: ThinkingBudgetRule[];
  /** Model ids known to be embedding models (beyond what their GGUF header says), and what they allow. */
  embeddingModels?: Record<string, EmbeddingHint>;
}

export interface EngineStats {
  /** `llama_decode` calls since the engine started. */
  decodeBatches: number;
  /** How many batches held 1, 2, 3… sequences: index = sequence count. */
  batchSequenceHistogram: number[];
  /** Tokens decoded (prompt + generated). */
  decodedTokens: number;
  slotsBusy: number;
  slotsTotal: number;
  queueDepth: number;
  loadedModels: string[];
}

export type ParentMessage =
  | { type: 'init'; config: EngineConfig; models: Record<string, string> }
  | { type: 'add-model'; id: string; path: string }
  | { type: 'chat'; id: number; req: ChatRequest; affinityKey?: string }
  | { type: 'cancel'; id: number }
  /** Close the request's reasoning now and go on with the answer ("answer now"). */
  | { type: 'end-thinking'; id: number }
  /** Gives a request `n` more chunks of credit. */
  | { type: 'credit'; id: number; n: number }
  | { type: 'call'; id: number; op: 'load' | 'unload'; model: string }
  | { type: 'call'; id: number; op: 'models' | 'stats' | 'shutdown' }
  /** Embeddings of `input` (answered by a `result`); `cancel` with the same id stops between inputs. */
  | { type: 'embed'; id: number; model: string; input: string[]; dimensions?: number }
  /** The prompt's length in tokens, with the model's template and tokenizer (the Messages API's count_tokens). */
  | { type: 'call'; id: number; op: 'count'; req: ChatRequest };

export interface WireError {
  code: InferenceErrorCode;
  message: string;
}

export type ChildMessage =
  | { type: 'ready' }
  /** The engine cannot start at all (e.g. no usable llama.cpp binary); the child exits after sending it. */
  | { type: 'fatal'; message: string }
  | { type: 'chunk'; id: number; chunk: ChatChunk }
  /** The request failed before generation started: the client throws this as an `InferenceError`. */
  | { type: 'chat-error'; id: number; error: WireError }
  | {
      type: 'result';
      id: number;
      ok: true;
      value: ModelInfo[] | EngineStats | number | EmbedWireResult | null;
    }
  | { type: 'result'; id: number; ok: false; error: WireError };
