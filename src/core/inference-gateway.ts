/**
 * The one door from use cases to inference: routes a model id to the provider that serves it (the
 * embedded engine, upstream pools), lists models across providers, knows the default model, and holds the
 * admission seam (`acquire`) that the admission controller plugs into.
 */
import { canEmbed, type EmbeddingResult } from '../inference/embeddings.ts';
import {
  type ChatChunk,
  type ChatOptions,
  type ChatRequest,
  InferenceError,
  type ModelInfo,
  type Provider,
} from '../inference/types.ts';

export type GatewayErrorCode = 'model_not_ready' | 'unknown_model';

/** Typed failure of model routing; the server maps `model_not_ready` to 503 and `unknown_model` to 400. */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    /** Set for `model_not_ready` only while a model loads or downloads: a retry then can succeed. */
    readonly retryAfterSeconds?: number,
    /** `model_not_ready`: the model's state (`missing`: no model at all), so clients can word it. */
    readonly state?: ModelInfo['state'] | 'missing',
  ) {
    super(message);
  }
}

/** Who asks for inference: what admission control needs to decide. */
export interface AdmissionSubject {
  userId: string;
  plan: string;
  /** Whether the generation thinks (counts against the plan's daily reasoning messages). Default true. */
  reasoning?: boolean;
}

export interface AdmissionWait {
  signal: AbortSignal;
  /** Called (possibly repeatedly) while the request waits in a queue. */
  onQueued?: (position: number, etaMs?: number) => void;
}

/** A granted admission; `release` is called exactly once when the generation ends. */
export interface AdmissionGrant {
  release(): void;
}

/**
 * The admission seam. Resolves when the request may run; rejects with a typed error (e.g. quota or
 * overload, thrown by the admission controller) when it may not. Default: admit at once.
 */
export type AcquireHook = (subject: AdmissionSubject, wait: AdmissionWait) => Promise<AdmissionGrant>;

export const admitImmediately: AcquireHook = async () => ({ release: () => {} });

/** Who asks for embeddings: admission and quotas as for chat, and the key for the usage ledger. */
export interface EmbedSubject extends AdmissionSubject {
  apiKeyId?: string | null;
}

export interface EmbedGatewayRequest {
  /** Omitted: the configured default embedding model, else the first ready embedding model. */
  model?: string;
  input: string[];
  dimensions?: number;
}

/** Records the tokens an embedding read (the usage ledger; quotas count them). */
export type EmbeddingUsageHook = (entry: {
  userId: string;
  apiKeyId: string | null;
  model: string;
  promptTokens: number;
}) => Promise<void>;

export interface InferenceGatewayOptions {
  /** Providers in priority order: when two serve the same model id, the first ready one wins. */
  providers: Provider[];
  /**
   * Default model: an id as listed, or a `.gguf` path / file name whose base name is the id.
   * Default: the first ready model.
   */
  defaultModel?: string;
  /** Admission control. Default `admitImmediately`. */
  acquire?: AcquireHook;
  /** How long a model listing is reused before providers are asked again. Default 1000 ms. */
  listCacheMs?: number;
  /**
   * Models known outside the providers' own listings, e.g. the default model while it downloads.
   * Merged below the providers' entries (a provider's `ready` wins). Default: none.
   */
  extraModels?: () => ModelInfo[];
  /** Default embedding model id (`embed` without a model). Default: the first ready embedding model. */
  defaultEmbeddingModel?: string;
  /** Called after each admitted embedding with its token count (usage ledger and quotas). */
  recordEmbeddingUsage?: EmbeddingUsageHook;
}

export interface ModelListing {
  models: ModelInfo[];
  defaultModel: string | null;
}

const HOW_TO_GET_A_MODEL =
  'Point Ponder at a local model with `ponder serve --model /path/to/model.gguf` (or put a .gguf file in ' +
  '<dataDir>/models, or run `ponder pull hf:<user>/<repo>:<QUANT>`), or configure an OpenAI-compatible ' +
  'upstream in ponder.config.json ("upstreams") or PONDER_UPSTREAMS.';

/** Stands in for the provider of a model no provider lists yet; it is never `ready`, so never asked. */
const UNLISTED: Provider = {
  id: 'unlisted',
  models: async () => [],
  chat: () => {
    throw new GatewayError('model_not_ready', 'model not ready', undefined, 'missing');
  },
  health: async () => ({ ok: false }),
  [Symbol.asyncDispose]: async () => {},
};

const STATE_RANK: Record<ModelInfo['state'], number> = {
  ready: 0,
  loading: 1,
  downloading: 2,
  unavailable: 3,
};

export class InferenceGateway {
  readonly #providers: Provider[];
  readonly #defaultModel: string | undefined;
  readonly #acquire: AcquireHook;
  readonly #listCacheMs: number;
  readonly #extraModels: (() => ModelInfo[]) | undefined;
  readonly #defaultEmbeddingModel: string | undefined;
  readonly #recordEmbeddingUsage: EmbeddingUsageHook | undefined;
  #cache: { at: number; value: Promise<Array<{ provider: Provider; model: ModelInfo }>> } | null = null;

  constructor(options: InferenceGatewayOptions) {
    this.#providers = options.providers;
    this.#defaultModel = options.defaultModel;
    this.#acquire = options.acquire ?? admitImmediately;
    this.#listCacheMs = options.listCacheMs ?? 1000;
    this.#extraModels = options.extraModels;
    this.#defaultEmbeddingModel = options.defaultEmbeddingModel;
    this.#recordEmbeddingUsage = options.recordEmbeddingUsage;
  }

  /** Every model of every provider (one entry per id, the best state wins), and the default model. */
  async listModels(): Promise<ModelListing> {
    const entries = await this.#entries();
    const byId = new Map<string, ModelInfo>();
    for (const { model } of entries) {
      const seen = byId.get(model.id);
      if (!seen || STATE_RANK[model.state] < STATE_RANK[seen.state]) byId.set(model.id, model);
    }
    const models = [...byId.values()];
    return { models, defaultModel: this.#pickDefault(models.filter(isChatModel))?.id ?? null };
  }

  /** The embedding model `embed` uses when a request names none, or null when none is listed. */
  async defaultEmbeddingModel(): Promise<string | null> {
    const entries = await this.#entries();
    return this.#pickEmbeddingDefault(entries.map((e) => e.model))?.id ?? null;
  }

  /**
   * The provider and model that will serve `modelId` (default model when omitted).
   * @throws GatewayError `unknown_model` when no provider lists it, `model_not_ready` when none has it ready.
   */
  async resolve(
    modelId?: string,
    kind: 'chat' | 'embedding' = 'chat',
  ): Promise<{ provider: Provider; model: ModelInfo }> {
    const entries = await this.#entries();
    let id = modelId;
    if (id === undefined) {
      const models = entries.map((e) => e.model);
      const chosen =
        kind === 'chat' ? this.#pickDefault(models.filter(isChatModel)) : this.#pickEmbeddingDefault(models);
      if (!chosen) {
        throw new GatewayError(
          'model_not_ready',
          kind === 'chat'
            ? `No model is available. ${HOW_TO_GET_A_MODEL}`
            : `No embedding model is available. ${HOW_TO_GET_AN_EMBEDDING_MODEL}`,
          undefined,
          'missing',
        );
      }
      id = chosen.id;
    }
    const candidates = entries.filter((e) => e.model.id === id);
    if (candidates.length === 0) {
      throw new GatewayError(
        'unknown_model',
        `Unknown model "${id}". GET /api/models lists the models served.`,
      );
    }
    const ready = candidates.find((e) => e.model.state === 'ready');
    if (ready) {
      checkKind(ready.model, kind);
      return ready;
    }
    const best = [...candidates].sort((a, b) => STATE_RANK[a.model.state] - STATE_RANK[b.model.state])[0]!;
    const canChange = best.model.state === 'loading' || best.model.state === 'downloading';
    throw new GatewayError(
      'model_not_ready',
      notReadyMessage(best.model),
      canChange ? 5 : undefined,
      best.model.state,
    );
  }

  /** Waits for admission (see `AcquireHook`). */
  acquire(subject: AdmissionSubject, wait: AdmissionWait): Promise<AdmissionGrant> {
    return this.#acquire(subject, wait);
  }

  /** Streams a completion from the provider serving `req.model` (resolved first; see `resolve`). */
  async *chat(req: ChatRequest, opts: ChatOptions): AsyncGenerator<ChatChunk> {
    const { provider, model } = await this.resolve(req.model);
    yield* provider.chat({ ...req, model: model.id }, opts);
  }

  /**
   * Embeds `req.input` with the embedding model named (or the default one). With a `subject`, the
   * request goes through admission and the plan's quotas like a chat turn (no reasoning), and its tokens
   * are recorded; without one (Ponder's own maintenance) it runs at once and is not metered.
   * @throws GatewayError (unknown or unready model), InferenceError (`invalid_request` for a chat-only
   *   model or an unsupported `dimensions`, and the provider's own), AdmissionError (quota, overload).
   */
  async embed(
    req: EmbedGatewayRequest,
    opts: { signal: AbortSignal; subject?: EmbedSubject },
  ): Promise<EmbeddingResult> {
    const { provider, model } = await this.resolve(req.model, 'embedding');
    if (!canEmbed(provider)) {
      throw new InferenceError('invalid_request', `Model "${model.id}" cannot compute embeddings.`);
    }
    if (req.dimensions !== undefined && model.embedding && !model.embedding.matryoshka) {
      throw new InferenceError(
        'invalid_request',
        `Model "${model.id}" does not support "dimensions": its vectors have a fixed length${
          model.embedding.dimensions === undefined ? '' : ` of ${model.embedding.dimensions}`
        }.`,
      );
    }
    const subject = opts.subject;
    const grant = subject
      ? await this.#acquire({ ...subject, reasoning: false }, { signal: opts.signal })
      : undefined;
    try {
      const result = await provider.embed(
        {
          model: model.id,
          input: req.input,
          ...(req.dimensions === undefined ? {} : { dimensions: req.dimensions }),
        },
        { signal: opts.signal },
      );
      if (subject && this.#recordEmbeddingUsage && result.promptTokens > 0) {
        await this.#recordEmbeddingUsage({
          userId: subject.userId,
          apiKeyId: subject.apiKeyId ?? null,
          model: model.id,
          promptTokens: result.promptTokens,
        });
      }
      return result;
    } finally {
      grant?.release();
    }
  }

  /** Forgets the cached model listing (after a model was pulled, loaded or removed). */
  invalidate(): void {
    this.#cache = null;
  }

  #pickDefault(models: ModelInfo[]): ModelInfo | undefined {
    return pickWanted(models, this.#defaultModel);
  }

  #pickEmbeddingDefault(models: ModelInfo[]): ModelInfo | undefined {
    return pickWanted(
      models.filter((m) => m.kind === 'embedding'),
      this.#defaultEmbeddingModel,
    );
  }

  async #entries(): Promise<Array<{ provider: Provider; model: ModelInfo }>> {
    const listed = await this.#listed();
    const extras = (this.#extraModels?.() ?? []).filter((m) => !listed.some((e) => e.model.id === m.id));
    if (extras.length === 0) return listed;
    return [...listed, ...extras.map((model) => ({ provider: UNLISTED, model }))];
  }

  #listed(): Promise<Array<{ provider: Provider; model: ModelInfo }>> {
    const now = Date.now();
    if (this.#cache && now - this.#cache.at < this.#listCacheMs) return this.#cache.value;
    const value = Promise.all(
      this.#providers.map(async (provider) => {
        try {
          const models = await provider.models();
          return models.map((model) => ({ provider, model }));
        } catch {
          // One broken provider must not hide the others' models.
          return [];
        }
      }),
    ).then((lists) => lists.flat());
    this.#cache = { at: now, value };
    return value;
  }
}

/**
 * `wanted` (an id as listed, or a `.gguf` path / file name whose base name is the id) when listed, else
 * the first ready model, else the first.
 */
function pickWanted(models: ModelInfo[], wanted: string | undefined): ModelInfo | undefined {
  if (wanted !== undefined) {
    const base = wanted
      .split(/[\\/]/)
      .at(-1)!
      .replace(/\.gguf$/i, '');
    const exact = models.find((m) => m.id === wanted) ?? models.find((m) => m.id === base);
    if (exact) return exact;
  }
  return models.find((m) => m.state === 'ready') ?? models[0];
}

const HOW_TO_GET_AN_EMBEDDING_MODEL =
  'Set "embedding.model" in ponder.config.json (or PONDER_EMBEDDING_MODEL) to a local embedding GGUF, ' +
  'run `ponder pull` for the default embedding model, or list an upstream model with "kind": "embedding".';

function isChatModel(model: ModelInfo): boolean {
  return model.kind !== 'embedding';
}

/** Chat on an embedding model, or embeddings from a chat-only model: refused with what to do instead. */
function checkKind(model: ModelInfo, kind: 'chat' | 'embedding'): void {
  const isEmbedding = model.kind === 'embedding';
  if (kind === 'chat' && isEmbedding) {
    throw new InferenceError(
      'invalid_request',
      `Model "${model.id}" is an embedding model: it cannot chat. Use it with POST /v1/embeddings.`,
    );
  }
  if (kind === 'embedding' && !isEmbedding) {
    throw new InferenceError(
      'invalid_request',
      `Model "${model.id}" is a chat model: it cannot compute embeddings. Name an embedding model.`,
    );
  }
}

function notReadyMessage(model: ModelInfo): string {
  switch (model.state) {
    case 'loading':
      return `Model "${model.id}" is loading; try again in a few seconds.`;
    case 'downloading': {
      const pct =
        model.downloadProgress === undefined ? '' : ` (${Math.round(model.downloadProgress * 100)}%)`;
      return `Model "${model.id}" is still downloading${pct}; try again when it is done.`;
    }
    case 'unavailable':
      // The provider's detail (a file path, an upstream's address) is for admin pages, not for users.
      return `Model "${model.id}" is unavailable. ${HOW_TO_GET_A_MODEL}`;
    case 'ready':
      return `Model "${model.id}" is ready.`;
    default:
      return model.state satisfies never;
  }
}
