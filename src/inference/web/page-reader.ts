/**
 * Reads one web page for the model: http(s) only, through the guarded fetcher (public addresses unless
 * allow-listed, every redirect re-checked), a size cap, a time cap over the whole read, and only HTML or
 * plain text accepted; the main text is extracted as Markdown (`extract.ts`). Nothing fetched is logged:
 * only the host and the status, at debug.
 */
import pkg from '../../../package.json' with { type: 'json' };
import {
  createGuardedFetch,
  FetchFailed,
  type FetchLogger,
  FetchRefused,
  type GuardedFetch,
  type ResolveHost,
} from '../net/guarded-fetch.ts';
import { htmlToMarkdown, plainText } from './extract.ts';

/** Says who is asking and why, so site owners can tell Ponder's reads from crawlers. */
export const PONDER_USER_AGENT = `Ponder/${pkg.version} (+https://github.com/ponder; reads pages a user asked about)`;

export const DEFAULT_PAGE_MAX_BYTES = 2 * 1024 * 1024;
export const DEFAULT_PAGE_TIMEOUT_MS = 15_000;

const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml']);
const TEXT_TYPES = new Set(['text/plain', 'text/markdown', 'text/x-markdown']);

export type PageErrorKind =
  | 'refused'
  | 'unreachable'
  | 'timeout'
  | 'status'
  | 'too_large'
  | 'pdf'
  | 'unsupported_type'
  | 'empty';

/** Why a page could not be read; the message is written for the model (it names no internals). */
export class PageReadError extends Error {
  override readonly name = 'PageReadError';
  readonly kind: PageErrorKind;
  constructor(kind: PageErrorKind, message: string) {
    super(message);
    this.kind = kind;
  }
}

export interface Page {
  /** The URL the content came from (after redirects). */
  url: string;
  title: string;
  markdown: string;
  /** The media type as the server declared it. */
  contentType: string;
  /** The extracted text was longer than `maxChars` and was cut. */
  truncated: boolean;
}

export type ReadPage = (url: string, options?: { signal?: AbortSignal }) => Promise<Page>;

export interface PageReaderLogger extends FetchLogger {
  debug(obj: object, msg: string): void;
}

export interface PageReaderOptions {
  /** `fetch.allowPrivateHosts` (tests allow 127.0.0.1 here). */
  allowPrivateHosts?: readonly string[];
  /** Largest body read, in bytes. Default 2 MiB. */
  maxBytes?: number;
  /** Longest a whole read may take (connect, redirects, body), in ms. Default 15 000. */
  timeoutMs?: number;
  /** Longest extracted text kept, in characters. Default 100 000. */
  maxChars?: number;
  userAgent?: string;
  logger?: PageReaderLogger;
  resolve?: ResolveHost;
}

export function createPageReader(options: PageReaderOptions = {}): ReadPage {
  const maxBytes = options.maxBytes ?? DEFAULT_PAGE_MAX_BYTES;
  const timeoutMs = options.timeoutMs ?? DEFAULT_PAGE_TIMEOUT_MS;
  const maxChars = options.maxChars ?? 100_000;
  const log = options.logger;
  const fetch: GuardedFetch = createGuardedFetch({
    maxBytes,
    timeoutMs,
    ...(options.allowPrivateHosts ? { allowPrivateHosts: options.allowPrivateHosts } : {}),
    ...(options.resolve ? { resolve: options.resolve } : {}),
    ...(log ? { logger: log } : {}),
  });
  const headers = {
    'user-agent': options.userAgent ?? PONDER_USER_AGENT,
    accept: 'text/html,application/xhtml+xml;q=0.9,text/plain;q=0.8,text/markdown;q=0.8',
  };

  return async function readPage(input, { signal } = {}) {
    let url: URL;
    try {
      url = new URL(input.trim());
    } catch {
      throw new PageReadError('refused', 'That is not a valid URL; give an absolute http(s) URL.');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new PageReadError('refused', 'Only http and https URLs can be read.');
    }
    url.hash = '';
    const timeout = AbortSignal.timeout(timeoutMs);
    const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      const res = await fetch(url, { headers, signal: both });
      log?.debug({ host: new URL(res.url || url.href).host, status: res.status }, 'page read');
      const type = mediaType(res.headers.get('content-type'));
      if (!res.ok) {
        await res.body?.cancel().catch(() => {});
        throw new PageReadError('status', `The page answered HTTP ${res.status}.`);
      }
      if (type === 'application/pdf') {
        await res.body?.cancel().catch(() => {});
        throw new PageReadError('pdf', 'PDF reading is not available yet.');
      }
      const html = HTML_TYPES.has(type);
      if (!html && !TEXT_TYPES.has(type)) {
        await res.body?.cancel().catch(() => {});
        throw new PageReadError(
          'unsupported_type',
          `The page is ${type ? `of type ${type}` : 'of no declared type'}; only HTML and plain text can be read.`,
        );
      }
      const bytes = new Uint8Array(await res.arrayBuffer());
      const text = decode(bytes, res.headers.get('content-type'), html);
      const final = new URL(res.url || url.href);
      final.hash = '';
      const finalUrl = final.href;
      const page = html ? htmlToMarkdown(text, finalUrl) : plainText(text);
      if (page.markdown === '') throw new PageReadError('empty', 'The page has no readable text.');
      const truncated = page.markdown.length > maxChars;
      const markdown = truncated ? page.markdown.slice(0, maxChars) : page.markdown;
      return { url: finalUrl, title: page.title, markdown, contentType: type, truncated };
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw toPageError(err, timeout.aborted, timeoutMs, maxBytes);
    }
  };
}

function toPageError(err: unknown, timedOut: boolean, timeoutMs: number, maxBytes: number): PageReadError {
  if (err instanceof PageReadError) return err;
  if (timedOut) return new PageReadError('timeout', `The page did not load within ${timeoutMs / 1000} s.`);
  if (err instanceof FetchRefused) {
    if (err.message === 'The response is too large.') {
      return new PageReadError('too_large', `The page is larger than ${Math.round(maxBytes / 1024)} KiB.`);
    }
    return new PageReadError('refused', err.message);
  }
  if (err instanceof FetchFailed) return new PageReadError('unreachable', err.message);
  return new PageReadError('unreachable', 'The page could not be read.');
}

/** `text/html; charset=utf-8` → `text/html`. */
function mediaType(header: string | null): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** The body as text: the header's charset, else (HTML) a `<meta charset>` near the top, else UTF-8. */
function decode(bytes: Uint8Array, contentType: string | null, html: boolean): string {
  let charset = /charset\s*=\s*"?([\w.:-]+)/i.exec(contentType ?? '')?.[1];
  if (!charset && html) {
    const head = new TextDecoder('latin1').decode(bytes.subarray(0, 2048));
    charset = /<meta[^>]+charset\s*=\s*["']?([\w.:-]+)/i.exec(head)?.[1];
  }
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}
