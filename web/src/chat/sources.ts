/**
 * The numbered sources of an answer that searched the web first. They come from its `web_search` step's
 * result, whose header lines read `[n] title — url` (optionally ` (search snippet only)`); page text there
 * is quoted with "> ", so only a line that *starts* with `[n] ` counts and a page cannot forge a source.
 * Only absolute http(s) URLs are kept: anything else is dropped.
 */
import type { ToolStep } from '../api/types.ts';

export interface Source {
  n: number;
  title: string;
  url: string;
  host: string;
  /** Only the search engine's snippet was read, not the page. */
  snippetOnly: boolean;
}

const SOURCE_LINE = /^\[(\d{1,2})\] (.*) — (\S+?)( \(search snippet only\))?$/;

/** An absolute http(s) URL, normalised, or undefined. */
export function httpUrl(raw: string): URL | undefined {
  // Browsers ignore tabs, newlines and control characters in schemes ("java\tscript:"): refuse them outright.
  if (/[\u0000-\u0020\u007f-\u009f]/.test(raw)) return undefined;
  if (!/^https?:\/\//i.test(raw)) return undefined;
  try {
    const url = new URL(raw);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** The sources listed in a `web_search` result (the first line for each number wins). */
export function parseSources(result: string): Source[] {
  const out: Source[] = [];
  const seen = new Set<number>();
  for (const line of result.split(/\r?\n/)) {
    const m = SOURCE_LINE.exec(line);
    if (!m?.[1] || !m[3]) continue;
    const n = Number(m[1]);
    const url = httpUrl(m[3]);
    if (n < 1 || seen.has(n) || !url) continue;
    seen.add(n);
    out.push({ n, title: (m[2] ?? '').trim(), url: url.href, host: url.host, snippetOnly: Boolean(m[4]) });
  }
  return out;
}

/** The query of a `web_search` call (its `{"query": …}` arguments), or ''. */
export function searchQuery(argumentsJson: string): string {
  try {
    const parsed: unknown = JSON.parse(argumentsJson);
    if (parsed && typeof parsed === 'object' && 'query' in parsed) {
      const q = (parsed as { query: unknown }).query;
      return typeof q === 'string' ? q : '';
    }
  } catch {
    // not JSON: no query to show
  }
  return '';
}

/** The sources of every successful `web_search` step of a message, numbered as the answer cites them. */
export function sourcesOfSteps(steps: readonly ToolStep[] | undefined): Source[] {
  const out: Source[] = [];
  const seen = new Set<number>();
  for (const step of steps ?? []) {
    if (step.name !== 'web_search' || !step.result || step.result.isError) continue;
    for (const s of parseSources(step.result.content)) {
      if (seen.has(s.n)) continue;
      seen.add(s.n);
      out.push(s);
    }
  }
  return out;
}
