/**
 * The `fetch` the MCP SDK's Streamable HTTP transport uses for one configured server. It keeps the guarded
 * fetcher's address policy (`checkTarget`: http(s) only, every resolved address public unless allow-listed
 * in `fetch.allowPrivateHosts`, the connection pinned to the address that was checked) but takes what the
 * transport needs and the guarded fetcher does not: POST and DELETE with a body, and a response stream that
 * may stay open (the server's event stream) with no idle limit once the headers are in. Redirects are never
 * followed here; the transport follows same-origin ones itself, each through this function again.
 *
 * The configured headers (an `Authorization` secret) are added only to requests for the server's own
 * origin, and never appear in a log or an error.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import { AllowList } from '../net/address-policy.ts';
import { checkTarget, FetchFailed, type ResolveHost } from '../net/guarded-fetch.ts';

export interface McpFetchOptions {
  /** The server's URL: its origin is the only one that receives `headers`. */
  url: string;
  headers?: Readonly<Record<string, string>>;
  allowPrivateHosts?: readonly string[];
  /** Limit for connecting and receiving response headers, in ms. */
  timeoutMs: number;
  /** DNS resolution (tests); default the guarded fetcher's. */
  resolve?: ResolveHost;
  /** Called with the `WWW-Authenticate` header (or null) of every 401 answer. */
  onUnauthorized?: (challenge: string | null) => void;
}

export type McpFetchLike = (url: string | URL, init?: RequestInit) => Promise<Response>;

export interface McpFetch {
  fetch: McpFetchLike;
  /** Closes the kept-alive connections. */
  close(): void;
}

export function createMcpFetch(options: McpFetchOptions): McpFetch {
  const allow = new AllowList(options.allowPrivateHosts);
  const origin = new URL(options.url).origin;
  const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

  async function mcpFetch(input: string | URL, init: RequestInit = {}): Promise<Response> {
    const url = new URL(String(input));
    const target = await checkTarget(url, allow, options.resolve);
    const headers = new Headers(init.headers);
    headers.delete('authorization');
    if (url.origin === origin) for (const [k, v] of Object.entries(options.headers ?? {})) headers.set(k, v);
    headers.set('accept-encoding', 'identity');
    const body = toBody(init.body);
    if (body !== undefined) headers.set('content-length', String(body.byteLength));
    const res = await send(url, target, {
      method: (init.method ?? 'GET').toUpperCase(),
      headers: Object.fromEntries(headers),
      body,
      signal: init.signal ?? undefined,
      timeoutMs: options.timeoutMs,
      agent: url.protocol === 'https:' ? agents.https : agents.http,
    });
    if (res.statusCode === 401) options.onUnauthorized?.(header(res, 'www-authenticate'));
    return toResponse(res);
  }

  return {
    fetch: mcpFetch,
    close: () => {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

function toBody(body: RequestInit['body']): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (body instanceof ArrayBuffer) return Buffer.from(new Uint8Array(body));
  throw new TypeError('MCP requests carry string or byte bodies only');
}

function header(res: IncomingMessage, name: string): string | null {
  const value = res.headers[name];
  return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
}

interface SendOptions {
  method: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
  signal: AbortSignal | undefined;
  timeoutMs: number;
  agent: HttpAgent;
}

function send(
  url: URL,
  target: { address: string; family: 4 | 6 },
  o: SendOptions,
): Promise<IncomingMessage> {
  // The connection goes to the checked address; the URL's name stays in Host and in TLS SNI.
  const lookup: LookupFunction = (_host, opts, cb) => {
    if ((opts as { all?: boolean }).all) {
      (cb as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [target]);
    } else cb(null, target.address, target.family);
  };
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) {
      reject(o.signal.reason);
      return;
    }
    const req = request(url, {
      method: o.method,
      headers: o.headers,
      lookup,
      agent: o.agent,
      signal: o.signal,
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)), o.timeoutMs);
    req.once('response', (res) => {
      clearTimeout(timer);
      resolve(res);
    });
    req.once('error', (err) => {
      clearTimeout(timer);
      if (o.signal?.aborted) reject(o.signal.reason);
      else reject(new FetchFailed(describe(err)));
    });
    req.end(o.body);
  });
}

function toResponse(res: IncomingMessage): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const status = res.statusCode ?? 502;
  if (status === 204 || status === 304 || status < 200) {
    res.resume();
    return new Response(null, { status: status < 200 ? 502 : status, headers });
  }
  const body = Readable.toWeb(res) as ReadableStream<Uint8Array>;
  return new Response(body, { status, statusText: res.statusMessage ?? '', headers });
}

function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  return [typeof e?.code === 'string' ? e.code : '', typeof e?.message === 'string' ? e.message : String(err)]
    .filter(Boolean)
    .join(': ');
}
