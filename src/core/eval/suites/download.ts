/**
 * `--download`: the standard files from their public URLs, through the guarded fetcher (so a redirect to
 * an internal address is refused like any server-side fetch), cached under `<dataDir>/eval/`. Offline, the
 * error says where to get the file and how to pass it.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createGuardedFetch, type GuardedFetch } from '../../../inference/net/guarded-fetch.ts';
import { type StandardSuiteName, SuiteError } from './types.ts';

export const SUITE_URLS: Record<StandardSuiteName, readonly string[]> = {
  gsm8k: [
    'https://raw.githubusercontent.com/openai/grade-school-math/master/grade_school_math/data/test.jsonl',
  ],
  math500: ['https://huggingface.co/datasets/HuggingFaceH4/MATH-500/resolve/main/test.jsonl'],
  aime2024: ['https://huggingface.co/datasets/Maxwell-Jia/AIME_2024/resolve/main/aime_2024_problems.jsonl'],
  aime2025: [
    'https://huggingface.co/datasets/opencompass/AIME2025/resolve/main/aime2025-I.jsonl',
    'https://huggingface.co/datasets/opencompass/AIME2025/resolve/main/aime2025-II.jsonl',
  ],
};

/** Where the downloaded file of a suite is kept. */
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
    parts.push(text.trim());
  }
  await mkdir(join(o.dataDir, 'eval'), { recursive: true });
  await writeFile(`${path}.part`, `${parts.join('\n')}\n`);
  await rename(`${path}.part`, path);
  return path;
}
