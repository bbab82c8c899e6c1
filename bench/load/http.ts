/**
 * A small HTTP client on `node:http` for the load harness. Not `fetch`: the sign-up flood needs a
 * chosen source address per simulated client (`localAddress`, any 127.0.0.0/8 address on Linux), and
 * the harness shares two cores with the servers it measures, so it stays close to the socket.
 */
import { Agent, type IncomingHttpHeaders, request } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface HttpOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  json?: unknown;
  /** Source address of the connection (e.g. `127.0.0.7`). */
  localAddress?: string;
  agent?: Agent;
  /** Whole-request limit. Default 30 000 ms. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** From sending the request to the end of the body. */
  ms: number;
}

/** Keep-alive agent with room for every concurrent client of a scenario. */
export function newAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: 1024, maxFreeSockets: 256 });
}

function open(url: string, opts: HttpOptions) {
  const payload = opts.json === undefined ? undefined : JSON.stringify(opts.json);
  const headers: Record<string, string> = { ...opts.headers };
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  const req = request(url, {
    method: opts.method ?? (payload === undefined ? 'GET' : 'POST'),
    headers,
    ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
    ...(opts.agent ? { agent: opts.agent } : {}),
  });
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const timer = setTimeout(() => req.destroy(new Error(`timeout after ${timeoutMs} ms`)), timeoutMs);
  const onAbort = (): void => {
    req.destroy(new Error('aborted'));
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  req.once('close', () => {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  });
  req.end(payload);
  return req;
}

/** One request, body read as text. Rejects only on network errors and timeouts. */
export function http(url: string, opts: HttpOptions = {}): Promise<HttpResult> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const req = open(url, opts);
    req.once('error', reject);
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('error', reject);
      res.once('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          ms: performance.now() - start,
        }),
      );
    });
  });
}

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

export interface SseResult {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body when the answer was not an event stream (an error), else ''. */
  body: string;
  /** Time to the response head. */
  headMs: number;
  /** Set when the connection failed or was cut before the stream ended. */
  error?: string;
}

/**
 * Sends a request whose success answer is `text/event-stream`; `onEvent` sees each event as it arrives.
 * Resolves when the stream ends or breaks (never rejects).
 */
export function sse(url: string, opts: HttpOptions, onEvent: (ev: SseEvent) => void): Promise<SseResult> {
  const start = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    let result: SseResult | undefined;
    const finish = (error?: string): void => {
      if (settled) return;
      settled = true;
      const r = result ?? { status: 0, headers: {}, body: '', headMs: performance.now() - start };
      resolve(error ? { ...r, error } : r);
    };
    let req: ReturnType<typeof open>;
    try {
      req = open(url, opts);
    } catch (err) {
      finish((err as Error).message);
      return;
    }
    req.once('error', (err) => finish(err.message));
    req.once('response', (res) => {
      result = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        body: '',
        headMs: performance.now() - start,
      };
      const isStream = String(res.headers['content-type'] ?? '').startsWith('text/event-stream');
      let buffer = '';
      const body: Buffer[] = [];
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (!isStream) {
          body.push(Buffer.from(chunk));
          return;
        }
        buffer += chunk;
        let sep = buffer.indexOf('\n\n');
        while (sep >= 0) {
          const block = buffer.slice(0, sep);
          buffer = buffer.slice(sep + 2);
          sep = buffer.indexOf('\n\n');
          const ev = parseBlock(block);
          if (ev) onEvent(ev);
        }
      });
      res.once('error', (err) => finish(err.message));
      res.once('aborted', () => finish('stream cut'));
      res.once('end', () => {
        if (result && !isStream) result.body = Buffer.concat(body).toString('utf8');
        finish();
      });
      res.once('close', () => finish(res.complete ? undefined : 'stream cut'));
    });
  });
}

function parseBlock(block: string): SseEvent | undefined {
  let event = 'message';
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'id') id = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return undefined;
  return id === undefined ? { event, data: data.join('\n') } : { id, event, data: data.join('\n') };
}

/** `Retry-After` in seconds (delta form), or undefined when absent or not a number. */
export function retryAfterSeconds(headers: IncomingHttpHeaders): number | undefined {
  const raw = headers['retry-after'];
  if (typeof raw !== 'string' || !/^\d+(\.\d+)?$/.test(raw.trim())) return undefined;
  return Number(raw);
}

/** The `code` of an API error body (`{error: {code}}`), or undefined. */
export function errorCode(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown } };
    return typeof parsed.error?.code === 'string' ? parsed.error.code : undefined;
  } catch {
    return undefined;
  }
}
