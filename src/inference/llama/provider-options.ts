/** Options and the public interface of the embedded provider (implemented in `embedded-provider.ts`). */

import type { EmbeddingProvider } from '../embeddings.ts';
import type { ThinkingBudgetRule } from '../thinking-budgets.ts';
import type { Provider } from '../types.ts';
import type { EmbeddingHint } from './embedding-traits.ts';
import type { EngineStats } from './ipc-protocol.ts';

export type { EngineStats } from './ipc-protocol.ts';

/** pino-compatible; the default is silent. Never given message text. */
export interface EngineLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Maps a model id to a GGUF path, or undefined when the id is unknown. */
export type ModelResolver = (id: string) => string | undefined | Promise<string | undefined>;

export interface EmbeddedProviderOptions {
  /** Model id → GGUF path, or a resolver consulted for ids not yet known. */
  models: Record<string, string> | ModelResolver;
  /** Model used when a request names none (`model: ''`). */
  defaultModel?: string;
  /** Concurrent sequences per model, decoded in one batch. Default 4. */
  slots?: number;
  /** llama.cpp threads. Default: the number of CPU cores (llama.cpp's own default ran 25× slower on 2 cores). */
  threads?: number;
  /** Context tokens per slot (prompt + answer). Default 8192. */
  contextSize?: number;
  /** Tokens per decode call. Default 512 (tests: ~64; each batch token costs logits memory). */
  batchSize?: number;
  /** `auto` offloads to a GPU when llama.cpp finds one. Default `off`. */
  gpu?: 'off' | 'auto';
  /** Default: silent. */
  logger?: EngineLogger;
  /** Treat this as the free memory when checking that a model fits. Default: `os.freemem()`. */
  freeMemoryLimitBytes?: number;
  /**
   * Never stop at end-of-generation tokens (nor let the model close `</think>` itself), so generation runs
   * until `maxTokens` or the thinking budget. For tests on random-weight models only. Default false.
   */
  ignoreEos?: boolean;
  /** Chunks the child may send ahead of the consumer before pausing that request. Default 64. */
  creditWindow?: number;
  /** Longest wait for all active streams to line up for a shared batch. Default 10 ms. */
  lockstepFallbackMs?: number;
  /** First restart delay after a crash; doubles per crash up to 10 s. Default 250 ms. */
  restartBackoffMs?: number;
  /** Grace period for a clean shutdown before the child is killed. Default 5000 ms. */
  shutdownTimeoutMs?: number;
  /** Effort → thinking-budget rules tried before the built-in table (`thinking-budgets.ts`). */
  thinkingBudgets?: ThinkingBudgetRule[];
  /** Environment for the child. Default: this process's. */
  env?: NodeJS.ProcessEnv;
  /**
   * Model ids that are embedding models whatever their GGUF header says, and whether each is
   * Matryoshka-trained (`dimensions` allowed). Headers with a pooling type or an encoder-only
   * architecture are embedding models without being listed here. Default none.
   */
  embeddingModels?: Record<string, EmbeddingHint>;
}

export interface EmbeddedProvider extends Provider, EmbeddingProvider {
  /** Loads a model now (for `/readyz`) rather than on its first request. Throws `InferenceError`. */
  load(modelId: string): Promise<void>;
  /** Frees a loaded model's memory; its next request loads it again. Queued requests end with `done: error`. */
  unload(modelId: string): Promise<void>;
  addModel(id: string, path: string): void;
  /** Engine counters: decode batches and their shapes, slots, queue. Starts the engine if needed. */
  stats(): Promise<EngineStats>;
  /** Pid of the running engine child, if any (supervision tests, diagnostics). */
  readonly enginePid: number | undefined;
  /**
   * The server is shutting down: running answers go on, but an engine exit from now on is expected
   * (logged at info, "engine stopped"), is not restarted, and ends its answers `cancelled`, not `error`.
   */
  beginShutdown(): void;
}
