/**
 * Embedding models inside the engine child: one node-llama-cpp embedding context per model (loaded on
 * first use), inputs evaluated one after another, vectors L2-normalised and, for Matryoshka models,
 * truncated to the dimensions asked for. Chat models never load here, and these never chat.
 */
import type { Llama, LlamaEmbeddingContext, LlamaModel, Token } from 'node-llama-cpp';
import { InferenceError } from '../types.ts';
import { ENCODER_ONLY } from './embedding-traits.ts';
import { fileProblem } from './file-check.ts';
import type { EngineConfig } from './ipc-protocol.ts';
import { loadModelFile } from './model-load.ts';

interface LoadedEmbedder {
  model: LlamaModel;
  context: LlamaEmbeddingContext;
  contextSize: number;
}

export interface EmbedWireResult {
  vectors: Float32Array[];
  promptTokens: number;
}

export class EmbeddingEngine {
  private readonly loaded = new Map<string, Promise<LoadedEmbedder>>();

  constructor(
    private readonly llama: Llama,
    private readonly config: EngineConfig,
  ) {}

  isLoaded(id: string): boolean {
    return this.loaded.has(id);
  }

  /** Loads the model's embedding context now (the `load` op), or returns the one loaded. */
  load(id: string, path: string): Promise<LoadedEmbedder> {
    let pending = this.loaded.get(id);
    if (!pending) {
      pending = this.open(id, path);
      pending.catch(() => this.loaded.delete(id));
      this.loaded.set(id, pending);
    }
    return pending;
  }

  async embed(
    id: string,
    path: string,
    input: readonly string[],
    options: { dimensions?: number; signal: AbortSignal },
  ): Promise<EmbedWireResult> {
    const { dimensions, signal } = options;
    if (dimensions !== undefined && this.config.embeddingModels?.[id]?.matryoshka !== true) {
      throw new InferenceError(
        'invalid_request',
        `Model "${id}" does not support "dimensions": its vectors have a fixed length.`,
      );
    }
    const { model, context, contextSize } = await this.load(id, path);
    const vectors: Float32Array[] = [];
    let promptTokens = 0;
    for (const [index, text] of input.entries()) {
      if (signal.aborted) throw new InferenceError('invalid_request', 'The embedding request was cancelled.');
      // node-llama-cpp answers an empty text with an empty vector: embed the start token instead.
      const tokens: string | Token[] = text === '' ? emptyInput(model) : text;
      const length = context.calculateInputLength(tokens);
      if (length >= contextSize) {
        throw new InferenceError(
          'context_overflow',
          `Input ${index} has ${length} tokens; model "${id}" embeds at most ${contextSize - 1} per input.`,
        );
      }
      promptTokens += length;
      const { vector } = await context.getEmbeddingFor(tokens);
      vectors.push(normalise(vector, dimensions, id));
    }
    return { vectors, promptTokens };
  }

  async unload(id: string): Promise<void> {
    const pending = this.loaded.get(id);
    if (!pending) return;
    this.loaded.delete(id);
    const e = await pending.catch(() => undefined);
    if (!e) return;
    await e.context.dispose();
    await e.model.dispose();
  }

  async dispose(): Promise<void> {
    for (const id of [...this.loaded.keys()]) await this.unload(id);
  }

  private async open(id: string, path: string): Promise<LoadedEmbedder> {
    const problem = await fileProblem(id, path);
    if (problem) throw problem;
    const model = await loadModelFile(
      this.llama,
      path,
      this.config.gpu,
      (err) =>
        new InferenceError(
          'model_not_ready',
          `Embedding model "${id}" at ${path} could not be loaded: ${(err as Error)?.message ?? err}`,
        ),
    );
    try {
      const contextSize = Math.min(
        this.config.contextSize,
        model.trainContextSize || this.config.contextSize,
      );
      // Encoders attend both ways, so an input must fit one batch; causal models (last-token pooling)
      // take it in slices, and a context-sized batch would cost gigabytes of attention scratch.
      const arch = model.fileInfo.metadata.general.architecture;
      const batchSize = ENCODER_ONLY.has(arch) ? contextSize : Math.min(contextSize, this.config.batchSize);
      const context = await model.createEmbeddingContext({
        contextSize,
        batchSize,
        threads: this.config.threads,
      });
      return { model, context, contextSize };
    } catch (err) {
      await model.dispose();
      throw new InferenceError(
        'model_not_ready',
        `Embedding model "${id}" loaded but its context could not be created: ${(err as Error)?.message ?? err}`,
      );
    }
  }
}

function emptyInput(model: LlamaModel): Token[] {
  const token = model.tokens.bos ?? model.tokens.eos;
  return token === null ? [] : [token];
}

/** L2-normalised; a Matryoshka prefix is normalised again after truncation. */
function normalise(vector: readonly number[], dimensions: number | undefined, id: string): Float32Array {
  if (dimensions !== undefined && dimensions > vector.length) {
    throw new InferenceError(
      'invalid_request',
      `"dimensions" is ${dimensions}, but model "${id}" makes vectors of ${vector.length}.`,
    );
  }
  const out = Float32Array.from(dimensions === undefined ? vector : vector.slice(0, dimensions));
  let sum = 0;
  for (const v of out) sum += v * v;
  const norm = Math.sqrt(sum);
  if (!Number.isFinite(norm))
    throw new InferenceError('engine_error', `Model "${id}" made a non-finite vector.`);
  if (norm > 0) for (let i = 0; i < out.length; i++) out[i] = out[i]! / norm;
  return out;
}
