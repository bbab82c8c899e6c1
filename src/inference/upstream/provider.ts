/**
 * One OpenAI-compatible upstream (vLLM, SGLang, Ollama, llama-server, DeepSeek API, another Ponder) as a
 * Provider. Streams `POST {baseUrl}/chat/completions`; reasoning is normalised whatever the server's format.
 *
 * Failure semantics: client errors the upstream reports before streaming (400/404/413/422) are thrown as
 * `InferenceError` from the first `next()`; everything else (connection refused, 401/403, 429, 5xx,
 * timeouts, a malformed or truncated stream, an error event) ends the stream with `done: error` and a
 * message that names the upstream but never its API key. The stream never hangs: a first-byte timeout
 * covers the wait for response headers and an idle timeout every gap between body chunks.
 */

import type { UpstreamConfig } from '../../config/schema.ts';
import type { EmbeddingRequest, EmbeddingResult } from '../embeddings.ts';
import { createDeltaNormaliser } from '../reasoning-normaliser.ts';
import type { ChatChunk, ChatOptions, ChatRequest, Health, ModelInfo, Provider } from '../types.ts';
import { InferenceError, MODEL_SERVER_UNAVAILABLE } from '../types.ts';
import {
  configuredEmbeddingModels,
  discoveredEmbeddingModels,
  type EmbeddingModelInfo,
  postEmbeddings,
} from './embeddings.ts';
import { type DecodedEvent, StreamDecoder } from './stream-decoder.ts';
import {
  buildChatBody,
  describeFetchError,
  displayUrl,
  endpoint,
  errorMessageOf,
  readBounded,
  sanitiseDetail,
  splitCredentials,
} from './wire.ts';

/** The subset of a pino logger used here; never given message text or secrets. */
export interface UpstreamLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface UpstreamProviderOptions {
  /** The fetch implementation. Default: the global `fetch`. */
  fetch?: typeof globalThis.fetch;
  logger?: UpstreamLogger;
  /** Longest wait for response headers of a chat request, in ms. Default 60 000 (prefill of long prompts on a busy server). */
  firstByteTimeoutMs?: number;
  /** Longest silence between two body chunks once streaming, in ms (keep-alive comments count). Default 60 000. */
  idleTimeoutMs?: number;
  /** Timeout of `GET /models` (discovery and probes), in ms. Default 10 000. */
  requestTimeoutMs?: number;
  /** How long discovered models are cached, in ms. Default 60 000. */
  modelsTtlMs?: number;
  /** Keep earlier turns' reasoning in the prompt (see the history policy). Default `false`. */
  keepReasoning?: boolean;
  /** Longest SSE line (one event) accepted, in bytes; a longer one ends the stream with `done: error`. Default 1 MiB. */
  maxEventBytes?: number;
}

export interface ProbeResult {
  ok: boolean;
  /** Model ids the upstream listed (when the probe succeeded and the answer had a list). */
  models?: string[];
  detail?: string;
}

export interface UpstreamProvider extends Provider {
  /** The base URL without credentials or query, for messages and admin pages. */
  readonly displayUrl: string;
  readonly maxConcurrent: number | undefined;
  /** Configured models, or `undefined` when they are discovered. */
  readonly configuredModels: readonly string[] | undefined;
  /** One `GET /models`: liveness plus discovery. Never throws. */
  probe(): Promise<ProbeResult>;
  /** Chat streams currently open. */
  readonly outstanding: number;
  /** Embeddings (issue 13): `POST /embeddings` on the upstream. */
  embed(req: EmbeddingRequest, opts: { signal: AbortSignal }): Promise<EmbeddingResult>;
  /** What the upstream's embedding model `model` allows, or undefined when it is not one (as far as known). */
  embeddingInfo(model: string): EmbeddingModelInfo | undefined;
}

const CLIENT_ERROR_STATUSES = new Set([400, 404, 413, 422]);
const CONTEXT_OVERFLOW = /context (length|window|size)|too long|exceed/i;

export function createUpstreamProvider(
  config: UpstreamConfig,
  options: UpstreamProviderOptions = {},
): UpstreamProvider {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const firstByteTimeoutMs = options.firstByteTimeoutMs ?? 60_000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const modelsTtlMs = options.modelsTtlMs ?? 60_000;
  const keepReasoning = options.keepReasoning ?? config.keepReasoning ?? false;
  const log = options.logger;
  const id = config.id;
  // `user:pass@` in the base URL: fetch refuses URLs with credentials, so they go in a Basic header instead.
  const { url: baseUrl, basic } = splitCredentials(config.baseUrl);
  const shownUrl = displayUrl(baseUrl);
  const secrets = [config.apiKey, basic?.password, basic?.header.slice('Basic '.length)];
  if (basic && config.apiKey) {
    log?.warn(
      { upstream: id },
      'upstream has both an apiKey and credentials in its baseUrl; the apiKey is sent',
    );
  }
  const label = `upstream "${id}" (${shownUrl})`;
  let discovered: { at: number; models: string[] } | undefined;
  // Embedding models: configured, or marked so by the upstream's own listing (another Ponder).
  const configuredEmbedding = configuredEmbeddingModels(config.embeddingModels);
  let discoveredEmbedding = new Map<string, EmbeddingModelInfo>();
  const embeddingInfo = (model: string) => configuredEmbedding.get(model) ?? discoveredEmbedding.get(model);
  const configuredModels = config.models
    ? [...new Set([...config.models, ...configuredEmbedding.keys()])]
    : undefined;
  let outstanding = 0;
  const open = new Set<AbortController>();
  let closing = false;

  function headers(json: boolean): Record<string, string> {
    const h: Record<string, string> = { accept: json ? 'application/json' : 'text/event-stream' };
    if (json === false) h['content-type'] = 'application/json';
    // An explicit apiKey wins over URL credentials (one Authorization header only).
    if (config.apiKey) h.authorization = `Bearer ${config.apiKey}`;
    else if (basic) h.authorization = basic.header;
    return h;
  }

  const safe = (text: string) => sanitiseDetail(text, secrets);

  async function probe(): Promise<ProbeResult> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), requestTimeoutMs);
    try {
      const res = await fetchImpl(endpoint(baseUrl, 'models'), {
        headers: headers(true),
        signal: controller.signal,
        redirect: 'error',
      });
      const text = await res.text();
      if (!res.ok) {
        const detail = messageFromBody(text);
        return { ok: false, detail: safe(`HTTP ${res.status}${detail ? `: ${detail}` : ''}`) };
      }
      const models = modelIdsOf(text);
      if (models) discovered = { at: Date.now(), models };
      if (models) discoveredEmbedding = discoveredEmbeddingModels(text);
      return models ? { ok: true, models } : { ok: true };
    } catch (err) {
      return { ok: false, detail: safe(controller.signal.aborted ? 'timed out' : describeFetchError(err)) };
    } finally {
      clearTimeout(timer);
    }
  }

  async function models(): Promise<ModelInfo[]> {
    // Tools and response_format go through in OpenAI's shapes (see `wire.ts`); a server that cannot
    // serve them says so with a 400, which reaches the client.
    const toInfo = (m: string): ModelInfo => {
      const embedding = embeddingInfo(m);
      if (embedding) return { id: m, provider: id, state: 'ready', kind: 'embedding', embedding };
      return { id: m, provider: id, state: 'ready', supportsTools: true, supportsResponseFormat: true };
    };
    if (configuredModels) return configuredModels.map(toInfo);
    if (discovered && Date.now() - discovered.at < modelsTtlMs) return discovered.models.map(toInfo);
    const result = await probe();
    if (result.ok && result.models) return result.models.map(toInfo);
    throw new InferenceError('upstream_error', MODEL_SERVER_UNAVAILABLE, {
      detail: `${label} did not list its models: ${result.detail ?? 'no model list in the answer'}`,
    });
  }

  async function* chat(req: ChatRequest, opts: ChatOptions): AsyncGenerator<ChatChunk> {
    if (config.models && !config.models.includes(req.model)) {
      throw new InferenceError('model_not_found', `model "${req.model}" is not served by upstream "${id}"`);
    }
    if (embeddingInfo(req.model)) {
      throw new InferenceError(
        'invalid_request',
        `Model "${req.model}" is an embedding model: it cannot chat. Use it with POST /v1/embeddings.`,
      );
    }
    if (opts.signal.aborted) {
      yield { type: 'done', finishReason: 'cancelled' };
      return;
    }
    const controller = new AbortController();
    let timeout: string | undefined;
    let timer = setTimeout(() => {
      timeout = `${label} sent no response within ${firstByteTimeoutMs} ms`;
      controller.abort();
    }, firstByteTimeoutMs);
    const armIdle = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timeout = `${label} stalled: nothing received for ${idleTimeoutMs} ms`;
        controller.abort();
      }, idleTimeoutMs);
    };
    const onAbort = () => controller.abort();
    opts.signal.addEventListener('abort', onAbort, { once: true });
    open.add(controller);
    outstanding++;
    const decoder = new StreamDecoder(
      createDeltaNormaliser({ format: config.reasoningFormat }),
      label,
      secrets,
      options.maxEventBytes,
    );
    const started = Date.now();
    try {
      let res: Response;
      try {
        res = await fetchImpl(endpoint(baseUrl, 'chat/completions'), {
          method: 'POST',
          headers: headers(false),
          body: JSON.stringify(buildChatBody(req, keepReasoning)),
          signal: controller.signal,
          redirect: 'error',
        });
      } catch (err) {
        yield* finish(decoder.fail(reasonFor(err)));
        return;
      }
      if (!res.ok) {
        const text = await readBounded(res, 16_384).catch(() => '');
        const detail = safe(messageFromBody(text) ?? '');
        log?.warn({ upstream: id, status: res.status }, 'upstream refused a chat request');
        if (CLIENT_ERROR_STATUSES.has(res.status)) {
          // The upstream's own words are about the user's request: they are kept, its address is not.
          const message = `The model server rejected the request (HTTP ${res.status})${detail ? `: ${detail}` : ''}`;
          const full = {
            detail: `${label} rejected the request (HTTP ${res.status})${detail ? `: ${detail}` : ''}`,
          };
          if (res.status === 404) throw new InferenceError('model_not_found', message, full);
          const overflow = res.status === 413 || CONTEXT_OVERFLOW.test(detail);
          throw new InferenceError(overflow ? 'context_overflow' : 'invalid_request', message, full);
        }
        const what = res.status === 401 || res.status === 403 ? 'rejected its API key' : 'failed';
        yield* finish(decoder.fail(`${label} ${what} (HTTP ${res.status})${detail ? `: ${detail}` : ''}`));
        return;
      }
      armIdle();
      const contentType = res.headers.get('content-type') ?? '';
      if (contentType.includes('application/json')) {
        // A server that ignored `stream: true` answered with one JSON completion.
        const text = await readBounded(res, 16 * 1024 * 1024);
        yield* finish(decoder.completeJson(text));
        return;
      }
      if (!res.body) {
        yield* finish(decoder.fail(`${label} sent an empty response`));
        return;
      }
      const reader = res.body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          armIdle();
          for (const event of decoder.push(value)) {
            yield* emit(event);
            if (event.type === 'done') return;
          }
        }
      } finally {
        reader.releaseLock();
      }
      yield* finish(decoder.end());
    } catch (err) {
      if (err instanceof InferenceError) throw err;
      yield* finish(decoder.fail(reasonFor(err)));
    } finally {
      clearTimeout(timer);
      opts.signal.removeEventListener('abort', onAbort);
      open.delete(controller);
      outstanding--;
      // Frees the connection when we stop early ([DONE] seen, consumer gone); harmless once it ended.
      controller.abort();
      log?.debug({ upstream: id, ms: Date.now() - started }, 'upstream chat ended');
    }

    function reasonFor(err: unknown): string {
      if (opts.signal.aborted) return 'cancelled';
      if (timeout) return timeout;
      if (closing) return `${label} stream closed: Ponder is shutting down`;
      return `${label} ${describeFetchError(err)}`;
    }

    function* emit(event: DecodedEvent): Generator<ChatChunk> {
      if (event.type === 'done' && event.finishReason === 'error') {
        // Users get one plain sentence; the host, status and cause go to the log and admin status.
        const detail = event.detail ?? event.error ?? 'upstream failed';
        log?.warn({ upstream: id, detail }, 'upstream stream failed');
        yield { ...event, error: MODEL_SERVER_UNAVAILABLE, detail };
        return;
      }
      yield event;
    }

    function* finish(events: DecodedEvent[]): Generator<ChatChunk> {
      for (const e of events) yield* emit(e);
    }
  }

  return {
    id,
    displayUrl: shownUrl,
    maxConcurrent: config.maxConcurrent,
    configuredModels,
    get outstanding() {
      return outstanding;
    },
    models,
    chat,
    probe,
    embeddingInfo,
    async embed(req: EmbeddingRequest, opts: { signal: AbortSignal }): Promise<EmbeddingResult> {
      if (configuredModels && !configuredModels.includes(req.model)) {
        throw new InferenceError('model_not_found', `model "${req.model}" is not served by upstream "${id}"`);
      }
      const info = embeddingInfo(req.model);
      if (req.dimensions !== undefined && info && !info.matryoshka) {
        throw new InferenceError(
          'invalid_request',
          `Model "${req.model}" does not support "dimensions": its vectors have a fixed length.`,
        );
      }
      outstanding++;
      try {
        return await postEmbeddings(
          {
            fetchImpl,
            baseUrl,
            headers: headers(true),
            label,
            timeoutMs: firstByteTimeoutMs,
            safe,
          },
          req,
          opts.signal,
        );
      } finally {
        outstanding--;
      }
    },
    async health(): Promise<Health> {
      const result = await probe();
      return {
        ok: result.ok,
        ...(result.detail ? { detail: result.detail } : {}),
        slotsBusy: outstanding,
        ...(config.maxConcurrent ? { slotsTotal: config.maxConcurrent } : {}),
      };
    },
    async [Symbol.asyncDispose]() {
      closing = true;
      for (const c of open) c.abort();
    },
  };
}

function messageFromBody(text: string): string | undefined {
  if (text.trim() === '') return undefined;
  try {
    return errorMessageOf(JSON.parse(text)) ?? text;
  } catch {
    return text;
  }
}

function modelIdsOf(text: string): string[] | undefined {
  try {
    const body: unknown = JSON.parse(text);
    const data = (body as { data?: unknown }).data;
    if (!Array.isArray(data)) return undefined;
    return data
      .map((m: unknown) => (m as { id?: unknown } | null)?.id)
      .filter((m): m is string => typeof m === 'string' && m !== '');
  } catch {
    return undefined;
  }
}
