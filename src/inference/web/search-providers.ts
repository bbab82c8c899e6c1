/**
 * The search providers an administrator can configure (`search` in the config), each speaking its own
 * API through `createJsonClient` (guarded fetcher, shared error types, no redirects for keyed requests):
 *   - SearXNG (self-hosted): `GET {baseUrl}/search?q=…&format=json` (the instance must enable the `json`
 *     format in `search.formats`); an `apiKey` is sent as a bearer token for a proxy in front of it;
 *   - Brave Search API: `GET {baseUrl}/res/v1/web/search?q=…&count=…` with `X-Subscription-Token`;
 *   - Tavily: `POST {baseUrl}/search` with a JSON body and `Authorization: Bearer`.
 */
import { z } from 'zod';
import type { SearchConfig } from '../../config/schema.ts';
import type { FetchLogger, ResolveHost } from '../net/guarded-fetch.ts';
import {
  clampCount,
  createJsonClient,
  endpoint,
  normaliseResults,
  parseAnswer,
  type SearchClientOptions,
  type SearchProvider,
  text,
} from './search-provider.ts';

export interface SearchProviderDeps {
  /** `fetch.allowPrivateHosts` from the config (a LAN SearXNG). */
  allowPrivateHosts?: readonly string[];
  logger?: FetchLogger;
  resolve?: ResolveHost;
}

export const BRAVE_BASE_URL = 'https://api.search.brave.com';
export const TAVILY_BASE_URL = 'https://api.tavily.com';

/** The provider the config names. */
export function createSearchProvider(config: SearchConfig, deps: SearchProviderDeps = {}): SearchProvider {
  switch (config.provider) {
    case 'searxng':
      return searxngProvider({ ...config, baseUrl: config.baseUrl ?? '' }, deps);
    case 'brave':
      return braveProvider({ ...config, apiKey: config.apiKey ?? '' }, deps);
    case 'tavily':
      return tavilyProvider({ ...config, apiKey: config.apiKey ?? '' }, deps);
    default:
      return config.provider satisfies never;
  }
}

interface ProviderSettings {
  baseUrl?: string | undefined;
  apiKey?: string | undefined;
  timeoutMs?: number | undefined;
}

function clientOptions(label: string, settings: ProviderSettings, deps: SearchProviderDeps) {
  const options: SearchClientOptions = { label, ...deps };
  if (settings.timeoutMs !== undefined) options.timeoutMs = settings.timeoutMs;
  return options;
}

const searxngAnswer = z.object({
  results: z.array(z.object({ url: text, title: text, content: text })),
});

export function searxngProvider(
  settings: ProviderSettings & { baseUrl: string },
  deps: SearchProviderDeps = {},
): SearchProvider {
  const label = 'SearXNG';
  const request = createJsonClient(clientOptions(label, settings, deps));
  return {
    name: 'searxng',
    async search(query, { count, signal } = {}) {
      const url = endpoint(settings.baseUrl, 'search');
      url.search = new URLSearchParams({ q: query, format: 'json', pageno: '1' }).toString();
      const headers: Record<string, string> = {};
      if (settings.apiKey) headers.authorization = `Bearer ${settings.apiKey}`;
      const answer = parseAnswer(
        label,
        searxngAnswer,
        await request({ method: 'GET', url, headers, signal }),
      );
      return normaliseResults(
        answer.results.map((r) => ({ title: r.title, url: r.url, snippet: r.content })),
        clampCount(count),
      );
    },
  };
}

const braveAnswer = z.object({
  // Brave leaves `web` out when nothing matched.
  web: z.object({ results: z.array(z.object({ url: text, title: text, description: text })) }).optional(),
});

export function braveProvider(
  settings: ProviderSettings & { apiKey: string },
  deps: SearchProviderDeps = {},
): SearchProvider {
  const label = 'Brave Search';
  const request = createJsonClient(clientOptions(label, settings, deps));
  return {
    name: 'brave',
    async search(query, { count, signal } = {}) {
      const n = clampCount(count);
      const url = endpoint(settings.baseUrl ?? BRAVE_BASE_URL, 'res/v1/web/search');
      url.search = new URLSearchParams({ q: query, count: String(n) }).toString();
      const headers = { 'x-subscription-token': settings.apiKey };
      const answer = parseAnswer(label, braveAnswer, await request({ method: 'GET', url, headers, signal }));
      return normaliseResults(
        (answer.web?.results ?? []).map((r) => ({ title: r.title, url: r.url, snippet: r.description })),
        n,
      );
    },
  };
}

const tavilyAnswer = z.object({
  results: z.array(z.object({ url: text, title: text, content: text })),
});

export function tavilyProvider(
  settings: ProviderSettings & { apiKey: string },
  deps: SearchProviderDeps = {},
): SearchProvider {
  const label = 'Tavily';
  // 432 and 433: the key's or the plan's usage limit.
  const request = createJsonClient({
    ...clientOptions(label, settings, deps),
    rateLimitStatuses: [432, 433],
  });
  return {
    name: 'tavily',
    async search(query, { count, signal } = {}) {
      const n = clampCount(count);
      const url = endpoint(settings.baseUrl ?? TAVILY_BASE_URL, 'search');
      const headers = { authorization: `Bearer ${settings.apiKey}` };
      const body = { query, max_results: n, search_depth: 'basic', include_answer: false };
      const answer = parseAnswer(
        label,
        tavilyAnswer,
        await request({ method: 'POST', url, headers, body, signal }),
      );
      return normaliseResults(
        answer.results.map((r) => ({ title: r.title, url: r.url, snippet: r.content })),
        n,
      );
    },
  };
}
