/**
 * Embeddings through an OpenAI-compatible upstream: `POST {baseUrl}/embeddings` (OpenAI's wire format),
 * and which of its models embed — listed in the config (`embeddingModels`), or marked `kind: "embedding"`
 * in its `GET /models` (another Ponder says so). Failures follow the chat rules: the upstream's client
 * errors (400/404/413/422) are the user's (`invalid_request`, `model_not_found`, `context_overflow`);
 * anything else is `upstream_error` with one plain sentence for users and the story in `detail`.
 */
import type { EmbeddingRequest, EmbeddingResult } from '../embeddings.ts';
import { InferenceError, MODEL_SERVER_UNAVAILABLE, type ModelInfo } from '../types.ts';
import { describeFetchError, endpoint, errorMessageOf, readBounded } from './wire.ts';

export type EmbeddingModelInfo = NonNullable<ModelInfo['embedding']>;

/** The configured `embeddingModels` entries as id → what they allow. */
export function configuredEmbeddingModels(
  list: ReadonlyArray<
    string | { id: string; dimensions?: number | undefined; matryoshka?: boolean | undefined }
  > = [],
): Map<string, EmbeddingModelInfo> {
  return new Map(
    list.map((m) =>
      typeof m === 'string'
        ? [m, { matryoshka: false }]
        : [
            m.id,
            {
              ...(m.dimensions === undefined ? {} : { dimensions: m.dimensions }),
              matryoshka: m.matryoshka === true,
            },
          ],
    ),
  );
}

/** Embedding models an upstream's `GET /models` answer marks as such (Ponder's `kind: "embedding"`). */
export function discoveredEmbeddingModels(text: string): Map<string, EmbeddingModelInfo> {
  const out = new Map<string, EmbeddingModelInfo>();
  try {
    const data = (JSON.parse(text) as { data?: unknown }).data;
    if (!Array.isArray(data)) return out;
    for (const m of data as Array<Record<string, unknown> | null>) {
      if (!m || typeof m.id !== 'string' || m.kind !== 'embedding') continue;
      out.set(m.id, {
        ...(typeof m.dimensions === 'number' ? { dimensions: m.dimensions } : {}),
        matryoshka: m.matryoshka === true,
      });
    }
  } catch {
    // Not JSON: the model list itself reports that.
  }
  return out;
}

export interface UpstreamEmbedContext {
  fetchImpl: typeof globalThis.fetch;
  baseUrl: string;
  headers: Record<string, string>;
  /** `upstream "id" (url)`, for details and logs. */
  label: string;
  timeoutMs: number;
  /** Removes the upstream's secrets from text that goes to logs and details. */
  safe: (text: string) => string;
}

const CONTEXT_OVERFLOW = /context (length|window|size)|too long|exceed|maximum.*tokens/i;

export async function postEmbeddings(
  ctx: UpstreamEmbedContext,
  req: EmbeddingRequest,
  signal: AbortSignal,
): Promise<EmbeddingResult> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, ctx.timeoutMs);
  const onAbort = () => controller.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  const fail = (detail: string) =>
    new InferenceError('upstream_error', MODEL_SERVER_UNAVAILABLE, {
      detail: ctx.safe(`${ctx.label} ${detail}`),
    });
  try {
    let res: Response;
    try {
      res = await ctx.fetchImpl(endpoint(ctx.baseUrl, 'embeddings'), {
        method: 'POST',
        headers: { ...ctx.headers, accept: 'application/json', 'content-type': 'application/json' },
        body: JSON.stringify({
          model: req.model,
          input: [...req.input],
          encoding_format: 'float',
          ...(req.dimensions === undefined ? {} : { dimensions: req.dimensions }),
        }),
        signal: controller.signal,
        redirect: 'error',
      });
    } catch (err) {
      if (signal.aborted) throw new InferenceError('invalid_request', 'The embedding request was cancelled.');
      throw fail(timedOut ? `sent no embeddings within ${ctx.timeoutMs} ms` : describeFetchError(err));
    }
    // Vectors are large (2048 inputs × 4096 floats as JSON): the bound only stops a runaway answer.
    const text = await readBounded(res, 512 * 1024 * 1024).catch(() => '');
    if (!res.ok) {
      const detail = ctx.safe(messageOf(text) ?? '');
      if ([400, 404, 413, 422].includes(res.status)) {
        const message = `The model server rejected the request (HTTP ${res.status})${detail ? `: ${detail}` : ''}`;
        const full = {
          detail: `${ctx.label} rejected the request (HTTP ${res.status})${detail ? `: ${detail}` : ''}`,
        };
        if (res.status === 404) throw new InferenceError('model_not_found', message, full);
        const overflow = res.status === 413 || CONTEXT_OVERFLOW.test(detail);
        throw new InferenceError(overflow ? 'context_overflow' : 'invalid_request', message, full);
      }
      const what = res.status === 401 || res.status === 403 ? 'rejected its API key' : 'failed';
      throw fail(`${what} (HTTP ${res.status})${detail ? `: ${detail}` : ''}`);
    }
    return parseEmbeddings(text, req, (why) => fail(`sent a malformed embeddings answer: ${why}`));
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}

function parseEmbeddings(
  text: string,
  req: EmbeddingRequest,
  malformed: (why: string) => InferenceError,
): EmbeddingResult {
  let body: { data?: unknown; usage?: { prompt_tokens?: unknown }; model?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw malformed('not JSON');
  }
  if (!Array.isArray(body.data) || body.data.length !== req.input.length)
    throw malformed(`expected ${req.input.length} embeddings`);
  const vectors: Float32Array[] = new Array(req.input.length);
  for (const [i, item] of (body.data as Array<{ index?: unknown; embedding?: unknown }>).entries()) {
    const index = typeof item?.index === 'number' ? item.index : i;
    if (!Number.isInteger(index) || index < 0 || index >= vectors.length || vectors[index])
      throw malformed('bad index');
    vectors[index] = normalised(toVector(item.embedding, malformed));
  }
  const length = vectors[0]?.length ?? 0;
  if (vectors.some((v) => v.length !== length || length === 0))
    throw malformed('vectors of different lengths');
  const tokens = body.usage?.prompt_tokens;
  return { model: req.model, vectors, promptTokens: typeof tokens === 'number' && tokens >= 0 ? tokens : 0 };
}

function toVector(value: unknown, malformed: (why: string) => InferenceError): Float32Array {
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'base64');
    if (bytes.length % 4 !== 0) throw malformed('base64 vector not a whole number of floats');
    const out = new Float32Array(bytes.length / 4);
    for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
    return out;
  }
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'number' && Number.isFinite(v)))
    throw malformed('vector is not a list of numbers');
  return Float32Array.from(value as number[]);
}

/** Unit length, as every provider answers (some servers do not normalise). */
function normalised(v: Float32Array): Float32Array {
  let sum = 0;
  for (const x of v) sum += x * x;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] = v[i]! / norm;
  return v;
}

function messageOf(text: string): string | undefined {
  if (text.trim() === '') return undefined;
  try {
    return errorMessageOf(JSON.parse(text)) ?? text.slice(0, 500);
  } catch {
    return text.slice(0, 500);
  }
}
