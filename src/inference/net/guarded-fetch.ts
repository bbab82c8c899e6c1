/**
 * The one way the server fetches a URL it did not configure itself (model pulls, page reading, search providers).
 * Against SSRF: http(s) only; the host is resolved and EVERY address must be public (see address-policy.ts)
 * unless the administrator allow-listed it; the connection goes to the address that was checked (a custom
 * `lookup`, so a second DNS answer cannot rebind it) while SNI and `Host` keep the name; redirects are
 * followed by hand and each hop is checked again. Callers learn only "refused" or "failed" with a generic
 * message: whether a port was closed, filtered or slow is logged, never returned, so the fetcher cannot be
 * used to scan a network.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import {
  AllowList,
  isLocalName,
  isPublicAddress,
  type ParsedAddress,
  parseIpLiteral,
} from './address-policy.ts';

export const REFUSED_MESSAGE =
  'This address is not allowed: Ponder only fetches from public internet hosts ' +
  '(an administrator can allow internal hosts with fetch.allowPrivateHosts).';
export const FAILED_MESSAGE = 'The remote server could not be reached or did not answer in time.';

/** The target is not allowed (private address, bad scheme, too many redirects, too large, wrong type). */
export class FetchRefused extends Error {
  override readonly name = 'FetchRefused';
  readonly code = 'fetch_refused';
  /** For logs only: what exactly was refused. */
  readonly detail: string;
  constructor(detail: string, message = REFUSED_MESSAGE) {
    super(message);
    this.detail = detail;
  }
}

/** The target could not be fetched (DNS failure, refused or reset connection, timeout). */
export class FetchFailed extends Error {
  override readonly name = 'FetchFailed';
  readonly code = 'fetch_failed';
  /** For logs only: the network error. */
  readonly detail: string;
  constructor(detail: string) {
    super(FAILED_MESSAGE);
    this.detail = detail;
  }
}

export interface FetchLogger {
  warn(obj: object, msg: string): void;
}

export type ResolveHost = (host: string) => Promise<Array<{ address: string; family: number }>>;

export interface GuardedFetchOptions {
  /** Hostnames, IPs or CIDR ranges that may be private (an internal model mirror). Default none. */
  allowPrivateHosts?: readonly string[];
  /** Redirects followed, each re-checked. Default 5. */
  maxRedirects?: number;
  /** Limit for connecting and receiving response headers, per hop, in ms. Default 15000. */
  timeoutMs?: number;
  /** Largest body accepted, in bytes; a larger `content-length` is refused, a longer stream errors. Default unlimited. */
  maxBytes?: number;
  /** Accepted `content-type` prefixes (e.g. `text/html`); default any. */
  contentTypes?: readonly string[];
  logger?: FetchLogger;
  /** DNS resolution. Default `dns.promises.lookup(host, { all: true })`. */
  resolve?: ResolveHost;
}

export interface GuardedInit {
  method?: 'GET' | 'HEAD' | 'POST';
  headers?: Record<string, string>;
  /** A request body (POST only), sent with its `content-length`. */
  body?: string;
  signal?: AbortSignal;
  /**
   * `follow` (default): redirects are followed, each hop re-checked. `error`: a redirect is refused, for
   * requests that carry a secret in a header other than `Authorization` (an API key meant for one origin).
   */
  redirect?: 'follow' | 'error';
}

/** A `fetch`-shaped function (GET/HEAD/POST) that only reaches allowed hosts; `Response.url` is the final URL. */
export type GuardedFetch = (url: string | URL, init?: GuardedInit) => Promise<Response>;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export function createGuardedFetch(options: GuardedFetchOptions = {}): GuardedFetch {
  const allow = new AllowList(options.allowPrivateHosts);
  const maxRedirects = options.maxRedirects ?? 5;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const resolve: ResolveHost = options.resolve ?? ((host) => dnsLookup(host, { all: true, verbatim: true }));

  async function fetchGuarded(input: string | URL, init: GuardedInit = {}): Promise<Response> {
    let url = new URL(String(input));
    const headers: Record<string, string> = { 'accept-encoding': 'identity', ...lower(init.headers ?? {}) };
    let method = init.method ?? 'GET';
    let body = method === 'POST' ? (init.body ?? '') : undefined;
    try {
      for (let hop = 0; ; hop++) {
        const address = await checkTarget(url, allow, resolve);
        const res = await send(url, address, { method, headers, body }, init.signal, timeoutMs);
        const location = res.headers.location;
        const status = res.statusCode ?? 0;
        if (REDIRECTS.has(status) && location) {
          res.destroy();
          if (init.redirect === 'error') {
            throw new FetchRefused(`redirect ${status} not followed`, 'The server answered with a redirect.');
          }
          if (hop >= maxRedirects) throw new FetchRefused(`more than ${maxRedirects} redirects`);
          const next = new URL(location, url);
          // Credentials meant for one origin never follow a redirect to another.
          if (next.origin !== url.origin) {
            delete headers.authorization;
            delete headers.cookie;
          }
          // As browsers do: 303 (and 301/302 after a POST) continue as a GET without the body.
          if (body !== undefined && status !== 307 && status !== 308) {
            method = 'GET';
            body = undefined;
            delete headers['content-type'];
          }
          url = next;
          continue;
        }
        return toResponse(res, url, options);
      }
    } catch (err) {
      const failure =
        err instanceof FetchRefused || err instanceof FetchFailed
          ? err
          : init.signal?.aborted
            ? undefined
            : new FetchFailed(describe(err));
      if (!failure) throw init.signal?.reason ?? err;
      options.logger?.warn({ host: url.host, detail: failure.detail }, `guarded fetch: ${failure.name}`);
      throw failure;
    }
  }
  return fetchGuarded;
}

/**
 * Checks one URL and returns the address to connect to. Throws FetchRefused for a disallowed target and
 * FetchFailed when the name does not resolve. Exported so a caller can refuse before starting background work.
 */
export async function checkTarget(
  url: URL,
  allow: AllowList,
  resolve: ResolveHost = (host) => dnsLookup(host, { all: true, verbatim: true }),
): Promise<{ address: string; family: 4 | 6 }> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FetchRefused(`scheme ${url.protocol} is not http(s)`);
  }
  if (url.username || url.password) throw new FetchRefused('credentials in the URL');
  const host = url.hostname;
  const literal = parseIpLiteral(host);
  if (literal) return pass(literal, allow.allowsAddress(literal), host);
  if (isLocalName(host) && !allow.allowsHost(host)) throw new FetchRefused(`${host} names this machine`);
  let answers: Array<{ address: string; family: number }>;
  try {
    answers = await resolve(host);
  } catch (err) {
    throw new FetchFailed(`cannot resolve ${host}: ${describe(err)}`);
  }
  if (answers.length === 0) throw new FetchFailed(`${host} has no addresses`);
  const hostAllowed = allow.allowsHost(host);
  // Every answer must pass: otherwise a name with one public and one private record picks its target.
  const checked = answers.map((a) => {
    const parsed = parseIpLiteral(a.address);
    if (!parsed) throw new FetchFailed(`${host} resolved to an unparsable address`);
    return pass(parsed, hostAllowed || allow.allowsAddress(parsed), host);
  });
  return checked[0] as { address: string; family: 4 | 6 };
}

function pass(address: ParsedAddress, allowed: boolean, host: string): { address: string; family: 4 | 6 } {
  if (!allowed && !isPublicAddress(address)) {
    throw new FetchRefused(`${host} is ${address.toString()} (${address.range()})`);
  }
  return { address: address.toString(), family: address.kind() === 'ipv4' ? 4 : 6 };
}

function send(
  url: URL,
  target: { address: string; family: 4 | 6 },
  what: { method: string; headers: Record<string, string>; body: string | undefined },
  signal: AbortSignal | undefined,
  timeoutMs: number,
): Promise<IncomingMessage> {
  // Pins the connection to the checked address; the URL's hostname stays in Host and in TLS SNI.
  const lookup: LookupFunction = (_host, opts, cb) => {
    if ((opts as { all?: boolean }).all) {
      (cb as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [target]);
    } else cb(null, target.address, target.family);
  };
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const headers = { ...what.headers };
  if (what.body !== undefined) headers['content-length'] = String(Buffer.byteLength(what.body));
  const reqOptions: RequestOptions = { method: what.method, headers, lookup, signal, timeout: timeoutMs };
  return new Promise((resolvePromise, reject) => {
    const req = request(url, reqOptions, (res) => {
      clearTimeout(timer);
      resolvePromise(res);
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('timeout', () => req.destroy(new Error(`idle for ${timeoutMs} ms`)));
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(what.body);
  });
}

function toResponse(res: IncomingMessage, url: URL, options: GuardedFetchOptions): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const status = res.statusCode ?? 502;
  const length = Number(headers.get('content-length') ?? Number.NaN);
  if (options.maxBytes !== undefined && length > options.maxBytes) {
    res.destroy();
    throw new FetchRefused(
      `content-length ${length} over the ${options.maxBytes}-byte limit`,
      'The response is too large.',
    );
  }
  const type = (headers.get('content-type') ?? '').toLowerCase();
  if (options.contentTypes && !options.contentTypes.some((t) => type.startsWith(t.toLowerCase()))) {
    res.destroy();
    throw new FetchRefused(`content-type "${type}"`, 'The response has a type that is not accepted here.');
  }
  res.setTimeout(0);
  if (status === 204 || status === 304 || res.statusCode === undefined) {
    res.resume();
    return withUrl(new Response(null, { status, headers }), url);
  }
  let body = Readable.toWeb(res) as ReadableStream<Uint8Array>;
  const max = options.maxBytes;
  if (max !== undefined) {
    let seen = 0;
    body = body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          seen += chunk.byteLength;
          if (seen > max)
            controller.error(new FetchRefused(`body over ${max} bytes`, 'The response is too large.'));
          else controller.enqueue(chunk);
        },
      }),
    );
  }
  return withUrl(new Response(body, { status, statusText: res.statusMessage ?? '', headers }), url);
}

/** A constructed Response has an empty, read-only `url`; callers want the one the answer came from. */
function withUrl(response: Response, url: URL): Response {
  Object.defineProperty(response, 'url', { value: url.href });
  return response;
}

function lower(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  return [typeof e?.code === 'string' ? e.code : '', typeof e?.message === 'string' ? e.message : String(err)]
    .filter(Boolean)
    .join(': ');
}
