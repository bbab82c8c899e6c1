/**
 * Where `ponder pull` fetches from: parsing `hf:user/repo:QUANT | URL | path`, resolving a Hugging Face repo to
 * one file, and the bounded fetch every request goes through (so offline fails fast with a useful message).
 */
import { basename, resolve } from 'node:path';
import { FetchRefused } from '../net/guarded-fetch.ts';
import { MODEL_EXTENSION } from './model-files.ts';

export type PullErrorCode =
  | 'bad_source'
  | 'refused'
  | 'offline'
  | 'not_found'
  | 'no_matching_file'
  | 'http'
  | 'interrupted'
  | 'size_mismatch'
  | 'not_gguf'
  | 'aborted'
  | 'busy'
  | 'io';

export class PullError extends Error {
  override readonly name = 'PullError';
  constructor(
    readonly code: PullErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type PullSource =
  | { kind: 'hf'; user: string; repo: string; quant: string | undefined }
  | { kind: 'url'; url: URL }
  | { kind: 'path'; path: string };

export interface HttpOptions {
  signal?: AbortSignal;
  /**
   * The fetch to use. Default: global `fetch` (the owner's own `ponder pull`). Server-side pulls pass the
   * guarded fetcher (`createGuardedFetch`), which refuses private addresses and re-checks redirects.
   */
  fetchImpl?: PullFetch;
  /** Hugging Face base URL. Default `https://huggingface.co`. */
  hfBaseUrl?: string;
  /** Limit for connecting and receiving response headers, in ms. Default 15000. */
  connectTimeoutMs?: number;
}

/** The part of `fetch` a pull uses; both the global fetch and the guarded fetcher fit. */
export type PullFetch = (
  url: string,
  init: { headers?: Record<string, string>; signal?: AbortSignal },
) => Promise<Response>;

export const ALTERNATIVES =
  'To run without downloading, use a local GGUF file with --model /path/to/model.gguf ' +
  '(or `ponder pull /path/to/model.gguf`), or an OpenAI-compatible upstream via PONDER_UPSTREAMS (see README).';

/** Parses `hf:user/repo[:QUANT]`, an http(s) URL, or a local path. */
export function parsePullSource(source: string, cwd = process.cwd()): PullSource {
  if (source.startsWith('hf:')) {
    const m = /^hf:([\w.-]+)\/([\w.-]+)(?::([\w.-]+))?$/.exec(source);
    if (!m?.[1] || !m[2])
      throw new PullError('bad_source', `"${source}" is not of the form hf:user/repo:QUANT`);
    return { kind: 'hf', user: m[1], repo: m[2], quant: m[3] };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) {
    let url: URL;
    try {
      url = new URL(source);
    } catch {
      throw new PullError('bad_source', `"${source}" is not a valid URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new PullError('bad_source', `unsupported URL scheme ${url.protocol} (use https://)`);
    }
    return { kind: 'url', url };
  }
  return { kind: 'path', path: resolve(cwd, source) };
}

export function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}

/** fetch with a bound on connecting + headers; the returned signal also serves the body's idle timeout. */
export async function fetchWithTimeout(
  url: string,
  init: { headers?: Record<string, string> },
  options: HttpOptions,
): Promise<{ response: Response; abort: AbortController }> {
  const abort = new AbortController();
  const timeoutMs = options.connectTimeoutMs ?? 15_000;
  const timer = setTimeout(
    () => abort.abort(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)),
    timeoutMs,
  );
  const signal = options.signal ? AbortSignal.any([options.signal, abort.signal]) : abort.signal;
  try {
    const response = await (options.fetchImpl ?? ((u, i) => fetch(u, { ...i, redirect: 'follow' })))(url, {
      ...init,
      signal,
    });
    return { response, abort };
  } catch (err) {
    if (options.signal?.aborted) throw new PullError('aborted', 'download cancelled');
    if (err instanceof FetchRefused) throw new PullError('refused', err.message);
    const reason = abort.signal.aborted ? String((abort.signal.reason as Error).message) : networkReason(err);
    throw new PullError('offline', `cannot reach ${new URL(url).host} (${reason}). ${ALTERNATIVES}`);
  } finally {
    clearTimeout(timer);
  }
}

/** Finds the `.gguf` file of a Hugging Face repo whose name contains `quant` (case-insensitive). */
export async function resolveHfFile(
  source: Extract<PullSource, { kind: 'hf' }>,
  options: HttpOptions,
): Promise<{ url: string; fileName: string }> {
  const base = (options.hfBaseUrl ?? 'https://huggingface.co').replace(/\/$/, '');
  const repo = `${source.user}/${source.repo}`;
  const { response } = await fetchWithTimeout(`${base}/api/models/${repo}`, {}, options);
  if (response.status === 401 || response.status === 404) {
    throw new PullError('not_found', `Hugging Face repository ${repo} was not found (or is private)`);
  }
  if (!response.ok) throw new PullError('http', `Hugging Face answered HTTP ${response.status} for ${repo}`);
  const body = (await response.json().catch(() => null)) as {
    siblings?: Array<{ rfilename?: unknown }>;
  } | null;
  const files = (body?.siblings ?? [])
    .map((s) => s.rfilename)
    .filter((f): f is string => typeof f === 'string' && f.toLowerCase().endsWith(MODEL_EXTENSION));
  const quant = source.quant?.toLowerCase();
  const matching =
    quant === undefined ? files : files.filter((f) => basename(f).toLowerCase().includes(quant));
  // Prefer `…-Q4_K_M.gguf` over `…-Q4_K_M-00001-of-00002.gguf` and other longer names.
  const exact = matching.filter(
    (f) => quant !== undefined && f.toLowerCase().endsWith(`${quant}${MODEL_EXTENSION}`),
  );
  const pick = (exact.length > 0 ? exact : matching).sort((a, b) => a.length - b.length)[0];
  if (pick === undefined || (quant === undefined && matching.length > 1)) {
    const available = files.map((f) => basename(f)).join(', ') || 'none';
    const wanted = quant === undefined ? 'a single .gguf file' : `a .gguf file matching ${source.quant}`;
    throw new PullError('no_matching_file', `${repo} has no ${wanted} (GGUF files there: ${available})`);
  }
  const path = pick.split('/').map(encodeURIComponent).join('/');
  return { url: `${base}/${repo}/resolve/main/${path}`, fileName: basename(pick) };
}
