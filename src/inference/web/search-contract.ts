/**
 * The contract every `SearchProvider` passes (test helper, not used at runtime): each implementation is
 * pointed at a scripted HTTP server on 127.0.0.1 that speaks its provider's wire format, and must map
 * answers, 401/403, 429 with `Retry-After`, malformed JSON, a hanging server and a stopped search onto
 * the shared result and error types, without its key leaving the provider's origin or reaching a message.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  SearchAuthError,
  SearchMalformed,
  type SearchProvider,
  SearchRateLimited,
  type SearchResult,
  SearchUnreachable,
} from './search-provider.ts';

export interface SeenRequest {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: string;
}

export type Reply = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

/** A loopback server answering with the replies queued in `script`, then with `fallback`. */
export class ScriptedServer {
  readonly seen: SeenRequest[] = [];
  readonly script: Reply[] = [];
  fallback: Reply = { status: 200, body: '{}' };
  #server: Server | undefined;
  #port = 0;

  get baseUrl(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => {
        body += c;
      });
      req.on('end', () => {
        this.seen.push({
          method: req.method ?? '',
          url: new URL(req.url ?? '/', this.baseUrl),
          headers: req.headers,
          body,
        });
        const reply = this.script.shift() ?? this.fallback;
        if (reply === 'hang') return;
        res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
        res.end(reply.body ?? '');
      });
    });
    await new Promise<void>((r) => this.#server?.listen(0, '127.0.0.1', r));
    this.#port = (this.#server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise((r) => this.#server?.close(r));
  }
}

export interface SearchWire {
  name: string;
  /** The provider pointed at `baseUrl`; `allowLoopback` puts 127.0.0.1 on its allow-list. */
  make(options: {
    baseUrl: string;
    apiKey: string;
    timeoutMs: number;
    allowLoopback: boolean;
    logger: { warn(obj: object, msg: string): void };
  }): SearchProvider;
  /** The body the provider's API sends for these results (JSON text). */
  answer(results: SearchResult[]): string;
  /** Asserts a request is the API's (method, path, auth) and returns the query and count it asked for. */
  readRequest(req: SeenRequest, apiKey: string): { query: string; count?: number };
}

const KEY = 'sk-contract-secret-7c1f';

const RESULTS: SearchResult[] = [
  { title: 'Reasoning models', url: 'https://one.example/a', snippet: 'First <strong>match</strong> here' },
  { title: 'Bad link', url: 'javascript:alert(1)', snippet: 'never shown' },
  { title: 'Two', url: 'https://two.example/b?x=1', snippet: 'Second &amp; more' },
  { title: 'Three', url: 'http://three.example/', snippet: 'Third' },
  { title: 'Four', url: 'https://four.example/', snippet: 'Fourth' },
];

export function runSearchProviderContract(wire: SearchWire): void {
  describe(`search provider contract: ${wire.name}`, () => {
    const server = new ScriptedServer();
    const logs: string[] = [];
    const logger = { warn: (obj: object, msg: string) => logs.push(`${msg} ${JSON.stringify(obj)}`) };
    const provider = (over: { timeoutMs?: number; allowLoopback?: boolean; baseUrl?: string } = {}) =>
      wire.make({
        baseUrl: over.baseUrl ?? server.baseUrl,
        apiKey: KEY,
        timeoutMs: over.timeoutMs ?? 5_000,
        allowLoopback: over.allowLoopback ?? true,
        logger,
      });
    const failure = async (p: Promise<unknown>): Promise<Error> => {
      const err = await p.then(
        () => assert.fail('expected the search to fail'),
        (e: unknown) => e as Error,
      );
      assert.ok(!err.message.includes(KEY), `the key is not in the message: ${err.message}`);
      return err;
    };

    before(() => server.start());
    after(async () => {
      await server.stop();
      assert.ok(!logs.some((l) => l.includes(KEY)), 'the key is never logged');
    });
    beforeEach(() => {
      server.seen.length = 0;
      server.script.length = 0;
    });

    test('sends the query the API way and maps the answer: http(s) only, plain text, at most count', async () => {
      server.script.push({ status: 200, body: wire.answer(RESULTS) });
      const results = await provider().search('ponder "reasoning" & tools', { count: 3 });
      assert.equal(server.seen.length, 1);
      const asked = wire.readRequest(server.seen[0]!, KEY);
      assert.equal(asked.query, 'ponder "reasoning" & tools');
      if (asked.count !== undefined) assert.equal(asked.count, 3);
      assert.deepEqual(results, [
        { title: 'Reasoning models', url: 'https://one.example/a', snippet: 'First match here' },
        { title: 'Two', url: 'https://two.example/b?x=1', snippet: 'Second & more' },
        { title: 'Three', url: 'http://three.example/', snippet: 'Third' },
      ]);
    });

    test('no results is an empty list', async () => {
      server.script.push({ status: 200, body: wire.answer([]) });
      assert.deepEqual(await provider().search('nothing matches this'), []);
    });

    test('401 and 403 are auth failures', async () => {
      for (const status of [401, 403]) {
        server.script.push({ status, body: JSON.stringify({ error: `bad key ${KEY}` }) });
        const err = await failure(provider().search('q'));
        assert.ok(err instanceof SearchAuthError, `${status}: ${err}`);
      }
    });

    test('429 is a rate limit carrying Retry-After (seconds or a date)', async () => {
      server.script.push({ status: 429, headers: { 'retry-after': '7' }, body: '{}' });
      const secs = await failure(provider().search('q'));
      assert.ok(secs instanceof SearchRateLimited, String(secs));
      assert.equal(secs.retryAfterMs, 7000);
      const at = new Date(Date.now() + 60_000).toUTCString();
      server.script.push({ status: 429, headers: { 'retry-after': at }, body: '{}' });
      const dated = await failure(provider().search('q'));
      assert.ok(dated instanceof SearchRateLimited);
      assert.ok(
        dated.retryAfterMs !== undefined && dated.retryAfterMs > 50_000 && dated.retryAfterMs <= 60_000,
      );
    });

    test('an answer that is not JSON, or JSON of another shape, is malformed', async () => {
      server.script.push({ status: 200, body: '{"results": [' });
      assert.ok((await failure(provider().search('q'))) instanceof SearchMalformed);
      server.script.push({ status: 200, body: JSON.stringify({ results: 'nope', web: { results: 7 } }) });
      assert.ok((await failure(provider().search('q'))) instanceof SearchMalformed);
    });

    test('a hanging server, a closed port and a 5xx are unreachable; the time cap holds', async () => {
      server.script.push('hang');
      const started = Date.now();
      const hung = await failure(provider({ timeoutMs: 300 }).search('q'));
      assert.ok(hung instanceof SearchUnreachable, String(hung));
      assert.ok(Date.now() - started < 3_000, 'ended near its time cap');
      const closed = await failure(provider({ baseUrl: 'http://127.0.0.1:1' }).search('q'));
      assert.ok(closed instanceof SearchUnreachable, String(closed));
      server.script.push({ status: 503, body: 'down' });
      assert.ok((await failure(provider().search('q'))) instanceof SearchUnreachable);
    });

    test('a stopped search ends at once with the caller’s reason', async () => {
      server.script.push('hang');
      const controller = new AbortController();
      const pending = provider().search('q', { signal: controller.signal });
      setTimeout(() => controller.abort(new Error('turn stopped')), 50);
      await assert.rejects(pending, /turn stopped/);
    });

    test('the key never follows a redirect to another origin', async () => {
      const other = new ScriptedServer();
      await other.start();
      try {
        server.script.push({ status: 307, headers: { location: `${other.baseUrl}/search` }, body: '' });
        await failure(provider().search('q'));
        assert.equal(other.seen.length, 0, 'the other origin was never asked');
      } finally {
        await other.stop();
      }
    });

    test('a private address is refused unless the administrator allow-listed it', async () => {
      const err = await failure(provider({ allowLoopback: false }).search('q'));
      assert.ok(err instanceof SearchUnreachable, String(err));
      assert.match(err.message, /fetch\.allowPrivateHosts/);
      assert.equal(server.seen.length, 0);
    });
  });
}
