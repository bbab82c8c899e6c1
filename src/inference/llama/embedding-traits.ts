/**
 * Whether a GGUF is an embedding model, read from its header alone (no llama.cpp): encoder-only
 * architectures (BERT and kin) embed, and so does any model whose metadata names a pooling type (the
 * converter writes one for sentence-transformer models, e.g. Ponder's `embed-tiny`), and so does one whose
 * model or file name says "embed" (Qwen3-Embedding, nomic-embed-text: converters do not always record a
 * pooling type). An id the configuration lists as an embedding model is one whatever its header says.
 */
import { basename } from 'node:path';
import { readGgufHeader } from '../gguf/gguf-reader.ts';
import type { ModelInfo } from '../types.ts';

/** llama.cpp architectures that only encode: they cannot chat at all. */
export const ENCODER_ONLY: ReadonlySet<string> = new Set([
  'bert',
  'nomic-bert',
  'nomic-bert-moe',
  'jina-bert-v2',
  'jina-bert-v3',
  'neo-bert',
  'modern-bert',
  't5encoder',
]);

export interface EmbeddingTraits {
  embedding: boolean;
  /** The hidden size, which is the vector length of every pooling llama.cpp applies. */
  dimensions?: number;
  /** Tokens the model was trained on. */
  contextLength?: number;
}

/** What the configuration says about an embedding model (`EngineConfig.embeddingModels`). */
export interface EmbeddingHint {
  /** The model was trained so that a prefix of its vector is a good shorter vector (`dimensions`). */
  matryoshka?: boolean;
}

const cache = new Map<string, Promise<EmbeddingTraits>>();

/** Reads (once per path) whether `path` is an embedding model; an unreadable file is "not embedding". */
export function embeddingTraits(path: string, hinted = false): Promise<EmbeddingTraits> {
  const key = `${hinted ? 1 : 0}:${path}`;
  let traits = cache.get(key);
  if (!traits) {
    traits = readTraits(path, hinted);
    cache.set(key, traits);
    // A file that appears or is replaced later is read again.
    traits.then(
      (t) => t.dimensions === undefined && cache.delete(key),
      () => cache.delete(key),
    );
  }
  return traits;
}

async function readTraits(path: string, hinted: boolean): Promise<EmbeddingTraits> {
  try {
    const { metadata } = await readGgufHeader(path, { readArrays: false });
    const arch = metadata.get('general.architecture');
    if (typeof arch !== 'string') return { embedding: hinted };
    const num = (key: string): number | undefined => {
      const v = metadata.get(`${arch}.${key}`);
      return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined;
    };
    const name = metadata.get('general.name');
    const named = /embed/i.test(typeof name === 'string' ? name : '') || /embed/i.test(basename(path));
    const embedding = hinted || ENCODER_ONLY.has(arch) || metadata.has(`${arch}.pooling_type`) || named;
    const dimensions = num('embedding_length');
    const contextLength = num('context_length');
    return {
      embedding,
      ...(dimensions === undefined ? {} : { dimensions }),
      ...(contextLength === undefined ? {} : { contextLength }),
    };
  } catch {
    return { embedding: hinted };
  }
}

/**
 * Rewrites a chat listing entry as an embedding model's: no thinking, tools or response formats, the
 * vector length and whether `dimensions` may shorten it.
 */
export function asEmbeddingModel(info: ModelInfo, traits: EmbeddingTraits, hint?: EmbeddingHint): ModelInfo {
  const {
    thinkingBudgets: _t,
    canEndThinking: _c,
    supportsTools: _s,
    supportsResponseFormat: _r,
    ...rest
  } = info;
  return {
    ...rest,
    kind: 'embedding',
    embedding: {
      ...(traits.dimensions === undefined ? {} : { dimensions: traits.dimensions }),
      matryoshka: hint?.matryoshka === true,
    },
  };
}
