/**
 * The one place that talks to `/api`: same-origin fetch with the session cookie (never a token in storage),
 * JSON in and out, and every failure turned into an {@link ApiError}.
 */
import type { ApiErrorBody } from './types.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds?: number,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Called when any request answers 401, so the app can drop back to the login page. */
let onUnauthenticated: (() => void) | undefined;
export function setUnauthenticatedHandler(fn: (() => void) | undefined): void {
  onUnauthenticated = fn;
}

function retryAfterFrom(res: Response, body: ApiErrorBody | undefined): number | undefined {
  if (body?.error.retryAfterSeconds !== undefined) return body.error.retryAfterSeconds;
  const header = res.headers.get('retry-after');
  if (header === null) return undefined;
  const n = Number(header);
  if (Number.isFinite(n)) return n;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** Reads an error answer into an ApiError; tolerant of non-JSON bodies (a proxy's HTML 502 page). */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  let body: ApiErrorBody | undefined;
  try {
    const parsed: unknown = await res.json();
    if (parsed && typeof parsed === 'object' && 'error' in parsed) body = parsed as ApiErrorBody;
  } catch {
    body = undefined;
  }
  const code = body?.error.code ?? (res.status >= 500 ? 'internal' : 'http_error');
  const message = body?.error.message ?? `${res.status} ${res.statusText}`;
  return new ApiError(res.status, code, message, retryAfterFrom(res, body), body?.error.details);
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

/** Starts a request and returns the raw response when it is 2xx; throws ApiError otherwise. */
export async function apiFetch(path: string, opts: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    res = await fetch(path, {
      method: opts.method ?? 'GET',
      headers,
      body,
      credentials: 'same-origin',
      signal: opts.signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', 'The server could not be reached.');
  }
  if (!res.ok) {
    const err = await errorFromResponse(res);
    if (res.status === 401 && !path.startsWith('/api/auth/login')) onUnauthenticated?.();
    throw err;
  }
  return res;
}

/** JSON request; 204 answers resolve to undefined. */
export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await apiFetch(path, opts);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}
