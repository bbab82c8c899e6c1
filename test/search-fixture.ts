/**
 * A Ponder on the embedded engine whose web search is a scripted SearXNG (the tests using it are about
 * the gateway) listing one real HTML page served on loopback, read through the real extraction path;
 * and an `openai` client with a key on it. For the `/v1` search tests (chat completions and Responses).
 */
import { after, before } from 'node:test';
import OpenAI from 'openai';
import { ScriptedServer } from '../src/inference/web/search-contract.ts';
import { type PageServer, startPageServer } from '../src/inference/web/testing.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';

export interface SearchFixture {
  pages: PageServer;
  searx: ScriptedServer;
  server: TestServer;
  client: OpenAI;
  close(): Promise<void>;
}

/** A scripted SearXNG's answer (its `fallback`) listing `results` for every search. */
export const searxResults = (results: object[]) => ({
  status: 200,
  body: JSON.stringify({ query: 'q', results }),
});

/** `results` are SearXNG results; `page` gives a loopback page's URL. */
export async function startSearchFixture(
  results: (page: (path: string) => string) => object[],
): Promise<SearchFixture> {
  const pages = await startPageServer();
  const searx = new ScriptedServer();
  await searx.start();
  searx.fallback = searxResults(results((path) => `${pages.origin}${path}`));
  const server = await startTestServer({
    withModel: true,
    config: {
      fetch: { allowPrivateHosts: ['127.0.0.1'] },
      search: { provider: 'searxng', baseUrl: searx.baseUrl, maxResults: 5, timeoutMs: 10_000 },
    },
  });
  const { cookie } = await server.signup();
  const res = await server.request('/api/keys', { method: 'POST', cookie, json: { name: 'search' } });
  const { key } = (await res.json()) as { key: string };
  const client = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: key, maxRetries: 0, timeout: 60_000 });
  return {
    pages,
    searx,
    server,
    client,
    async close() {
      await server.close();
      await searx.stop();
      await pages.close();
    },
  };
}

/**
 * Starts the fixture before the enclosing `describe`'s tests and closes it after them (call it in the
 * describe's body); its pages and client are read through the returned object once the tests run.
 */
export function useSearchFixture(
  results: (page: (path: string) => string) => object[],
): Pick<SearchFixture, 'pages' | 'client'> {
  let fixture: SearchFixture | undefined;
  before(async () => {
    fixture = await startSearchFixture(results);
  });
  after(async () => {
    await fixture?.close();
  });
  const started = (): SearchFixture => {
    if (!fixture) throw new Error('the search fixture has not started');
    return fixture;
  };
  return {
    get pages() {
      return started().pages;
    },
    get client() {
      return started().client;
    },
  };
}
