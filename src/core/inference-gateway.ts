/**
 * The one door from use cases to inference: routes a model id to the provider that serves it (the
 * embedded engine, upstream pools), lists models across providers, knows the default model, and holds the
 * admission seam (`acquire`) that the admission controller plugs into.
 */
import type { ChatChunk, ChatOptions, ChatRequest, ModelInfo, Provider } from '../inference/types.ts';

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
  #cache: { at: number; value: Promise<Array<{ provider: Provider; model: ModelInfo }>> } | null = null;

  constructor(options: InferenceGatewayOptions) {
    this.#providers = options.providers;
    this.#defaultModel = options.defaultModel;
    this.#acquire = options.acquire ?? admitImmediately;
    this.#listCacheMs = options.listCacheMs ?? 1000;
    this.#extraModels = options.extraModels;
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
    return { models, defaultModel: this.#pickDefault(models)?.id ?? null };
  }

  /**
   * The provider and model that will serve `modelId` (default model when omitted).
   * @throws GatewayError `unknown_model` when no provider lists it, `model_not_ready` when none has it ready.
   */
  async resolve(modelId?: string): Promise<{ provider: Provider; model: ModelInfo }> {
    const entries = await this.#entries();
    let id = modelId;
    if (id === undefined) {
      const chosen = this.#pickDefault(entries.map((e) => e.model));
      if (!chosen) {
        throw new GatewayError(
          'model_not_ready',
          `No model is available. ${HOW_TO_GET_A_MODEL}`,
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
    if (ready) return ready;
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

  /** Forgets the cached model listing (after a model was pulled, loaded or removed). */
  invalidate(): void {
    this.#cache = null;
  }

  #pickDefault(models: ModelInfo[]): ModelInfo | undefined {
    const wanted = this.#defaultModel;
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
