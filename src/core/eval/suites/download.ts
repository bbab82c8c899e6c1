/**
 * `--download`: the standard files from their public URLs, through the guarded fetcher (so a redirect to
 * an internal address is refused like any server-side fetch), cached under `<dataDir>/eval/`. Offline, the
 * error says where to get the file and how to pass it.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createGuardedFetch, type GuardedFetch } from '../../../inference/net/guarded-fetch.ts';
import { type StandardSuiteName, SuiteError } from './types.ts';

/** Rows of a Hugging Face dataset split as JSON, through its public Dataset Viewer API (for sets kept as Parquet). */
const viewerRows = (dataset: string, config: string, split: string) =>
  `https://datasets-server.huggingface.co/rows?dataset=${encodeURIComponent(dataset)}&config=${encodeURIComponent(config)}&split=${split}&offset=0&length=100`;

/**
 * GSM8K and MATH-500 as the JSONL files their releases publish; AIME 2024 (HuggingFaceH4/aime_2024, the set
 * open-r1 and lighteval use) and AIME 2025 (opencompass/AIME2025, parts I and II) are Parquet on the hub, so
 * their 30 rows come through the Dataset Viewer API as JSON.
 */
export const SUITE_URLS: Record<StandardSuiteName, readonly string[]> = {
  gsm8k: [
    'https://raw.githubusercontent.com/openai/grade-school-math/master/grade_school_math/data/test.jsonl',
  ],
  math500: ['https://huggingface.co/datasets/HuggingFaceH4/MATH-500/resolve/main/test.jsonl'],
  aime2024: [viewerRows('HuggingFaceH4/aime_2024', 'default', 'train')],
  aime2025: [
    viewerRows('opencompass/AIME2025', 'AIME2025-I', 'test'),
    viewerRows('opencompass/AIME2025', 'AIME2025-II', 'test'),
  ],
};

/** JSONL from a downloaded body: a Dataset Viewer answer (`{rows: [{row}]}`) becomes one line per row. */
export function asJsonLines(text: string): string {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{"features"') && !trimmed.startsWith('{"rows"')) return trimmed;
  let body: { rows?: Array<{ row?: unknown }> };
  try {
    body = JSON.parse(trimmed) as typeof body;
  } catch {
    return trimmed;
  }
  if (!Array.isArray(body.rows)) return trimmed;
  return body.rows.map((r) => JSON.stringify(r.row ?? {})).join('\n');
}

/** Where the downloaded file of a suite is kept (always JSONL). */
export function cachedSuitePath(dataDir: string, name: StandardSuiteName): string {
  return join(dataDir, 'eval', `${name}.jsonl`);
}

export interface DownloadOptions {
  dataDir: string;
  fetch?: GuardedFetch;
  signal?: AbortSignal;
  /** A Hugging Face mirror (`HF_ENDPOINT`): replaces `https://huggingface.co` in the URLs. */
  hfBaseUrl?: string;
  /** Download again even when cached. */
  refresh?: boolean;
}

/** The suite's file (cached or fetched now); throws `SuiteError` saying what to do when it cannot. */
export async function downloadSuite(name: StandardSuiteName, o: DownloadOptions): Promise<string> {
  const path = cachedSuitePath(o.dataDir, name);
  if (!o.refresh) {
    const cached = await readFile(path, 'utf8').catch(() => undefined);
    if (cached !== undefined) return path;
  }
  const fetch = o.fetch ?? createGuardedFetch({ maxBytes: 64 * 1024 * 1024, timeoutMs: 30_000 });
  const parts: string[] = [];
  const mirror = o.hfBaseUrl?.replace(/\/+$/, '');
  for (const original of SUITE_URLS[name]) {
    const url = mirror ? original.replace(/^https:\/\/huggingface\.co/, mirror) : original;
    let text: string;
    try {
      const res = await fetch(url, { ...(o.signal ? { signal: o.signal } : {}) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      text = await res.text();
    } catch (err) {
      throw new SuiteError(
        `cannot download ${name} from ${url} (${(err as { detail?: string }).detail ?? (err as Error).message}). Without network access, fetch the ` +
          `file elsewhere and pass it with --file <path> (JSONL/JSON/CSV), or save it as ${path}.`,
      );
    }
    parts.push(asJsonLines(text));
  }
  await mkdir(join(o.dataDir, 'eval'), { recursive: true });
  await writeFile(`${path}.part`, `${parts.join('\n')}\n`);
  await rename(`${path}.part`, path);
  return path;
}
