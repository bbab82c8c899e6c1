import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runSearchProviderContract, ScriptedServer } from './search-contract.ts';
import { retryAfterMs, SearchAuthError, SearchRateLimited } from './search-provider.ts';
import { braveProvider, createSearchProvider, searxngProvider, tavilyProvider } from './search-providers.ts';

const loopback = (allow: boolean) => (allow ? ['127.0.0.1'] : []);

runSearchProviderContract({
  name: 'searxng',
  make: (o) =>
    searxngProvider(
      { baseUrl: `${o.baseUrl}/searxng`, apiKey: o.apiKey, timeoutMs: o.timeoutMs },
      { allowPrivateHosts: loopback(o.allowLoopback), logger: o.logger },
    ),
  answer: (results) =>
    JSON.stringify({
      query: 'q',
      number_of_results: results.length,
      results: results.map((r) => ({ url: r.url, title: r.title, content: r.snippet, engine: 'duckduckgo' })),
      answers: [],
      suggestions: [],
    }),
  readRequest: (req, key) => {
    assert.equal(req.method, 'GET');
    assert.equal(req.url.pathname, '/searxng/search', 'a path prefix in baseUrl is kept');
    assert.equal(req.url.searchParams.get('format'), 'json');
    assert.equal(req.headers.authorization, `Bearer ${key}`);
    return { query: req.url.searchParams.get('q') ?? '' };
  },
});

runSearchProviderContract({
  name: 'brave',
  make: (o) =>
    braveProvider(
      { baseUrl: o.baseUrl, apiKey: o.apiKey, timeoutMs: o.timeoutMs },
      { allowPrivateHosts: loopback(o.allowLoopback), logger: o.logger },
    ),
  answer: (results) =>
    JSON.stringify({
      type: 'search',
      query: { original: 'q' },
      ...(results.length
        ? { web: { type: 'search', results: results.map((r) => ({ ...r, description: r.snippet })) } }
        : {}),
    }),
  readRequest: (req, key) => {
    assert.equal(req.method, 'GET');
    assert.equal(req.url.pathname, '/res/v1/web/search');
    assert.equal(req.headers['x-subscription-token'], key);
    assert.equal(req.headers.authorization, undefined);
    assert.equal(req.headers.accept, 'application/json');
    return { query: req.url.searchParams.get('q') ?? '', count: Number(req.url.searchParams.get('count')) };
  },
});

runSearchProviderContract({
  name: 'tavily',
  make: (o) =>
    tavilyProvider(
      { baseUrl: o.baseUrl, apiKey: o.apiKey, timeoutMs: o.timeoutMs },
      { allowPrivateHosts: loopback(o.allowLoopback), logger: o.logger },
    ),
  answer: (results) =>
    JSON.stringify({
      query: 'q',
      answer: null,
      results: results.map((r) => ({ title: r.title, url: r.url, content: r.snippet, score: 0.9 })),
      response_time: 0.4,
    }),
  readRequest: (req, key) => {
    assert.equal(req.method, 'POST');
    assert.equal(req.url.pathname, '/search');
    assert.equal(req.headers.authorization, `Bearer ${key}`);
    assert.match(String(req.headers['content-type']), /^application\/json/);
    const body = JSON.parse(req.body) as { query: string; max_results: number; api_key?: string };
    assert.equal(body.api_key, undefined, 'the key travels in the header only');
    return { query: body.query, count: body.max_results };
  },
});

const server = new ScriptedServer();
before(() => server.start());
after(() => server.stop());

test('Tavily’s usage-limit statuses (432, 433) are rate limits; SearXNG without json format is an auth error', async () => {
  const tavily = tavilyProvider(
    { baseUrl: server.baseUrl, apiKey: 'tvly-x' },
    { allowPrivateHosts: ['127.0.0.1'] },
  );
  for (const status of [432, 433]) {
    server.script.push({ status, body: '{"detail":{"error":"limit"}}' });
    await assert.rejects(tavily.search('q'), SearchRateLimited);
  }
  const searx = searxngProvider({ baseUrl: server.baseUrl }, { allowPrivateHosts: ['127.0.0.1'] });
  server.script.push({ status: 403, body: 'Forbidden' });
  await assert.rejects(searx.search('q'), SearchAuthError);
  assert.equal(server.seen.at(-1)?.headers.authorization, undefined, 'no key configured, none sent');
});

test('Retry-After falls back to Brave’s X-RateLimit-Reset', () => {
  assert.equal(retryAfterMs(new Headers({ 'x-ratelimit-reset': '1, 1419704' })), 1000);
  assert.equal(retryAfterMs(new Headers({ 'retry-after': '3', 'x-ratelimit-reset': '9' })), 3000);
  assert.equal(retryAfterMs(new Headers()), undefined);
});

test('createSearchProvider builds the configured provider, with public API defaults', () => {
  assert.equal(
    createSearchProvider({ provider: 'brave', apiKey: 'k', maxResults: 5, timeoutMs: 1000 }).name,
    'brave',
  );
  assert.equal(
    createSearchProvider({ provider: 'tavily', apiKey: 'k', maxResults: 5, timeoutMs: 1000 }).name,
    'tavily',
  );
  const searx = createSearchProvider({
    provider: 'searxng',
    baseUrl: 'http://search.lan',
    maxResults: 5,
    timeoutMs: 1000,
  });
  assert.equal(searx.name, 'searxng');
});
