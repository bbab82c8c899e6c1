/**
 * The embedding model `ponder serve` sets up (issue 13): the configured GGUF (path or name under
 * `<dataDir>/models`), else the default multilingual one (Qwen3-Embedding-0.6B), downloaded in the
 * background like the default chat model. Offline the download fails with a message naming what to do
 * instead; until an embedding model is there, documents fall back to keyword retrieval and
 * `/v1/embeddings` answers 503 with the same advice. An id no local file matches may be an upstream's
 * embedding model: the gateway routes it there.
 */
import type { Logger } from 'pino';
import type { PonderConfig } from '../config/schema.ts';
import type { EmbeddingHint } from '../inference/llama/embedding-traits.ts';
import type { EmbeddedProvider } from '../inference/llama/index.ts';
import { modelNameOf, resolveModel } from '../inference/llama/model-files.ts';
import {
  DEFAULT_EMBEDDING_MODEL_NAME,
  DEFAULT_EMBEDDING_MODEL_SOURCE,
  pullModel,
} from '../inference/llama/pull.ts';

export interface EmbeddingModelPlan {
  /** The id the gateway uses by default for embeddings; undefined when embeddings are off. */
  id: string | undefined;
  /** For `createEmbeddedProvider({ embeddingModels })`: the model is an embedding model, and what it allows. */
  hints: Record<string, EmbeddingHint>;
}

/** Decides the id (before the engine exists, which must know its embedding models from the start). */
export function planEmbeddingModel(config: PonderConfig): EmbeddingModelPlan {
  const ref = config.embedding.model;
  if (ref === 'off') return { id: undefined, hints: {} };
  const id =
    ref === undefined
      ? DEFAULT_EMBEDDING_MODEL_NAME
      : ref.includes('/') || ref.includes('\\')
        ? modelNameOf(ref)
        : ref.replace(/\.gguf$/i, '');
  const matryoshka = config.embedding.matryoshka ?? ref === undefined;
  return { id, hints: { [id]: { matryoshka } } };
}

/**
 * Registers the embedding model's file with the engine, or starts downloading the default one.
 * Never throws: a missing model is logged with the ways on, and embeddings stay unavailable.
 */
export async function setUpEmbeddingModel(
  config: PonderConfig,
  plan: EmbeddingModelPlan,
  embedded: EmbeddedProvider,
  opts: { modelsDir: string; autoPull: boolean; signal: AbortSignal; hfBaseUrl?: string; logger: Logger },
): Promise<void> {
  const { id } = plan;
  if (id === undefined) return;
  const ref = config.embedding.model ?? DEFAULT_EMBEDDING_MODEL_NAME;
  try {
    embedded.addModel(id, await resolveModel(ref, { modelsDir: opts.modelsDir }));
    return;
  } catch (err) {
    if (config.embedding.model !== undefined) {
      // Not a local file: an upstream's embedding model, or a mistake the listing will show.
      if (config.upstreams.length === 0) {
        opts.logger.warn(
          { model: id, reason: (err as Error).message },
          'embedding model not found: documents use keyword retrieval only and /v1/embeddings answers 503',
        );
      }
      return;
    }
  }
  if (!opts.autoPull || !config.embedding.autoPull) {
    opts.logger.info(
      { model: id, source: DEFAULT_EMBEDDING_MODEL_SOURCE },
      'no embedding model: run `ponder pull <source>` or set embedding.model; documents use keyword retrieval meanwhile',
    );
    return;
  }
  opts.logger.info(
    { source: DEFAULT_EMBEDDING_MODEL_SOURCE },
    'default embedding model missing: downloading it',
  );
  pullModel(DEFAULT_EMBEDDING_MODEL_SOURCE, {
    modelsDir: opts.modelsDir,
    signal: opts.signal,
    ...(opts.hfBaseUrl ? { hfBaseUrl: opts.hfBaseUrl } : {}),
  }).then(
    (result) => {
      embedded.addModel(id, result.path);
      opts.logger.info({ model: id }, 'default embedding model downloaded');
    },
    (err: unknown) => {
      if (opts.signal.aborted) return;
      opts.logger.warn(
        { model: id, code: (err as { code?: string })?.code, reason: (err as Error)?.message },
        'default embedding model download failed: documents use keyword retrieval only; set embedding.model to a local .gguf or run `ponder pull` when online',
      );
    },
  );
}
