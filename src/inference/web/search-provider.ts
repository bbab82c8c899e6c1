/**
 * Web search behind one interface. Implementations (`search-providers.ts`: SearXNG, Brave, Tavily) speak
 * their provider's API through the guarded fetcher and share the error semantics here: an auth failure,
 * a rate limit (with the wait the provider asked for), a malformed answer and an unreachable provider are
 * distinct types; every message is fit to show (no key, no response body). The API key goes only to the
 * configured origin: requests carrying it never follow a redirect.
 */
import { z } from 'zod';
import {
  createGuardedFetch,
  type FetchLogger,
  FetchRefused,
  type ResolveHost,
} from '../net/guarded-fetch.ts';
import { oneLine } from './extract.ts';

export interface SearchResult {
  title: string;
  /** An absolute http(s) URL. */
  url: string;
  /** The provider's short summary, plain text. */
  snippet: string;
}

export interface SearchOptions {
  /** Results wanted (1–20). Default 5. */
  count?: number;
  signal?: AbortSignal;
}

export interface SearchProvider {
  readonly name: string;
  search(query: string, options?: SearchOptions): Promise<SearchResult[]>;
}

export type SearchErrorKind = 'auth' | 'rate_limited' | 'malformed' | 'unreachable' | 'failed';

export class SearchError extends Error {
  override readonly name: string = 'SearchError';
  readonly kind: SearchErrorKind = 'failed';
  /** For logs only (never holds the key or response text). */
  readonly detail: string;
  constructor(message: string, detail = message) {
    super(message);
    this.detail = detail;
  }
}

/** The provider refused the credentials (401/403). */
export class SearchAuthError extends SearchError {
  override readonly name = 'SearchAuthError';
  override readonly kind = 'auth';
}

/** The provider asked to slow down (429, or a quota status); `retryAfterMs` when it said how long. */
export class SearchRateLimited extends SearchError {
  override readonly name = 'SearchRateLimited';
  override readonly kind = 'rate_limited';
  readonly retryAfterMs: number | undefined;
  constructor(message: string, retryAfterMs: number | undefined, detail?: string) {
    super(message, detail);
    this.retryAfterMs = retryAfterMs;
  }
}

/** The answer was not JSON of the shape the provider's API documents. */
export class SearchMalformed extends SearchError {
  override readonly name = 'SearchMalformed';
  override readonly kind = 'malformed';
}

/** No answer: refused address, connection failure, timeout or a 5xx. */
export class SearchUnreachable extends SearchError {
  override readonly name = 'SearchUnreachable';
  override readonly kind = 'unreachable';
}

export interface SearchClientOptions {
  /** The provider's display name in messages ("SearXNG"). */
  label: string;
  /** `fetch.allowPrivateHosts` (a LAN SearXNG; tests allow 127.0.0.1). */
  allowPrivateHosts?: readonly string[];
  /** Longest a search may take, in ms. Default 10 000. */
  timeoutMs?: number;
  logger?: FetchLogger;
  resolve?: ResolveHost;
  /** Statuses besides 429 that mean "over quota" (Tavily's 432 and 433). */
  rateLimitStatuses?: readonly number[];
}

export interface JsonRequest {
  method: 'GET' | 'POST';
  url: URL;
  headers: Record<string, string>;
  body?: unknown;
  signal?: AbortSignal | undefined;
}

/** Sends one request and returns the parsed JSON of a 2xx answer, or throws one of the errors above. */
export type JsonClient = (request: JsonRequest) => Promise<unknown>;

export function createJsonClient(options: SearchClientOptions): JsonClient {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const label = options.label;
  const fetch = createGuardedFetch({
    timeoutMs,
    maxBytes: 1024 * 1024,
    ...(options.allowPrivateHosts ? { allowPrivateHosts: options.allowPrivateHosts } : {}),
    ...(options.resolve ? { resolve: options.resolve } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const quota = new Set([429, ...(options.rateLimitStatuses ?? [])]);

  return async (request) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    const unreachable = (detail: string) =>
      new SearchUnreachable(`${label} could not be reached or did not answer in time.`, detail);
    let text: string;
    let res: Response;
    try {
      res = await fetch(request.url, {
        method: request.method,
        headers: {
          accept: 'application/json',
          ...(request.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...request.headers,
        },
        ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
        signal,
        redirect: 'error',
      });
      text = await res.text();
    } catch (err) {
      if (request.signal?.aborted) throw request.signal.reason;
      if (timeout.aborted) throw unreachable(`no answer within ${timeoutMs} ms`);
      if (err instanceof FetchRefused) {
        throw new SearchUnreachable(`${label}: ${err.message}`, err.detail);
      }
      throw unreachable((err as { detail?: string }).detail ?? 'request failed');
    }
    const status = res.status;
    if (status === 401 || status === 403) {
      throw new SearchAuthError(`${label} refused the credentials (HTTP ${status}); check search.apiKey.`);
    }
    if (quota.has(status)) {
      const wait = retryAfterMs(res.headers);
      const hint = wait === undefined ? '' : ` Retry after ${Math.ceil(wait / 1000)} s.`;
      throw new SearchRateLimited(`${label} is rate limiting searches (HTTP ${status}).${hint}`, wait);
    }
    if (status >= 500) throw unreachable(`HTTP ${status}`);
    if (status < 200 || status >= 300) throw new SearchError(`${label} answered HTTP ${status}.`);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new SearchMalformed(`${label} sent an answer that is not JSON.`);
    }
  };
}

/** `Retry-After` in seconds or as an HTTP date; else the first of Brave's `X-RateLimit-Reset` values. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const value = headers.get('retry-after')?.trim();
  if (value) {
    if (/^\d+$/.test(value)) return Number(value) * 1000;
    const at = Date.parse(value);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  const reset = headers.get('x-ratelimit-reset')?.split(',')[0]?.trim();
  if (reset && /^\d+$/.test(reset)) return Number(reset) * 1000;
  return undefined;
}

/** Checks an answer against the provider's documented shape; a mismatch is `SearchMalformed`. */
export function parseAnswer<S extends z.ZodType>(label: string, schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join('.') || '(root)';
    throw new SearchMalformed(`${label} sent an answer of an unexpected shape.`, `at ${where}`);
  }
  return parsed.data;
}

/** One result field as it may come: a string, null or missing. */
export const text = z.string().nullish();

/**
 * Provider results made uniform: http(s) URLs only, each once; titles one line; snippets plain text
 * (Brave marks matches with `<strong>`); at most `count`.
 */
export function normaliseResults(
  raw: ReadonlyArray<{ title?: string | null; url?: string | null; snippet?: string | null }>,
  count: number,
): SearchResult[] {
  const seen = new Set<string>();
  const out: SearchResult[] = [];
  for (const item of raw) {
    if (out.length >= count) break;
    let url: URL;
    try {
      url = new URL(item.url ?? '');
    } catch {
      continue;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
    if (url.username || url.password || seen.has(url.href)) continue;
    seen.add(url.href);
    out.push({
      title: cap(oneLine(stripTags(item.title ?? '')), 300) || url.host,
      url: url.href,
      snippet: cap(oneLine(stripTags(item.snippet ?? '')), 600),
    });
  }
  return out;
}

/** The number of results to ask for: 1–20, default 5. */
export function clampCount(count: number | undefined): number {
  return Math.min(20, Math.max(1, Math.floor(count ?? 5)));
}

/** `base` joined with `path`, keeping a path prefix (`https://lan/searxng` + `search`). */
export function endpoint(base: string, path: string): URL {
  return new URL(path, base.endsWith('/') ? base : `${base}/`);
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function stripTags(s: string): string {
  return s.replace(/<[^>]*>/g, '').replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] !== '#') return ENTITIES[e.toLowerCase()] ?? m;
    const code = e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1));
    return code > 0 && code < 0x110000 ? String.fromCodePoint(code) : m;
  });
}

function cap(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
