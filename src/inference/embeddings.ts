/**
 * Embeddings: an optional capability of a `Provider` (the embedded engine with an embedding GGUF, an
 * upstream's `/v1/embeddings`). Models that embed are listed by `models()` with `kind: 'embedding'`
 * (see `ModelInfo`); chat requests to them are refused, and `embed` on a chat-only model is refused.
 */
import type { Provider } from './types.ts';

export interface EmbeddingRequest {
  model: string;
  /** One vector per input, in order. Empty strings are allowed (they still get a vector). */
  input: readonly string[];
  /** Truncate to this many dimensions where the model allows it (Matryoshka models); else refused. */
  dimensions?: number;
}

export interface EmbeddingResult {
  model: string;
  /** L2-normalised, one per input, all of the same length. */
  vectors: Float32Array[];
  /** Tokens read across all inputs (usage and quotas). */
  promptTokens: number;
}

export interface EmbeddingProvider {
  /** Throws `InferenceError` (`model_not_found`, `invalid_request`, `context_overflow`, …) like `chat`. */
  embed(req: EmbeddingRequest, opts: { signal: AbortSignal }): Promise<EmbeddingResult>;
}

export function canEmbed(provider: Provider): provider is Provider & EmbeddingProvider {
  return typeof (provider as Partial<EmbeddingProvider>).embed === 'function';
}
