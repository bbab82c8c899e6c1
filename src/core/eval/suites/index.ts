/** A suite from its spec: generated, a standard file (local or downloaded), or any local file. */
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { GuardedFetch } from '../../../inference/net/guarded-fetch.ts';
import { cachedSuitePath, downloadSuite } from './download.ts';
import { generateSuite } from './generated.ts';
import { loadProblems } from './loaders.ts';
import { REPORTED } from './reported.ts';
import {
  type EvalSuite,
  GENERATED_SUITES,
  type GeneratedSuiteName,
  STANDARD_SUITES,
  type StandardSuiteName,
  SuiteError,
  type SuiteSpec,
} from './types.ts';

export { SUITE_URLS } from './download.ts';
export { reportedFor } from './reported.ts';
export * from './types.ts';

export const isGenerated = (name: string): name is GeneratedSuiteName =>
  (GENERATED_SUITES as readonly string[]).includes(name);
export const isStandard = (name: string): name is StandardSuiteName =>
  (STANDARD_SUITES as readonly string[]).includes(name);

const DESCRIPTIONS: Record<GeneratedSuiteName | StandardSuiteName, string> = {
  arithmetic: 'generated multi-step integer arithmetic',
  units: 'generated word problems with units',
  dates: 'generated date and calendar reasoning',
  logic: 'generated logic grids with a unique solution',
  gsm8k: 'GSM8K test set (grade-school word problems)',
  math500: 'MATH-500 (competition mathematics, LaTeX answers)',
  aime2024: 'AIME 2024 (30 problems, integer answers)',
  aime2025: 'AIME 2025 I and II (30 problems, integer answers)',
};

export interface ResolveOptions {
  dataDir: string;
  /** Relative `file` paths resolve from here. */
  cwd: string;
  fetch?: GuardedFetch;
  /** A Hugging Face mirror (`HF_ENDPOINT`) for the files hosted there. Default `https://huggingface.co`. */
  hfBaseUrl?: string;
  signal?: AbortSignal;
}

async function readSuiteFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new SuiteError(
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

export async function resolveSuite(spec: SuiteSpec, o: ResolveOptions): Promise<EvalSuite> {
  switch (spec.type) {
    case 'generated': {
      if (!isGenerated(spec.name)) throw new SuiteError(`unknown generated suite "${spec.name}"`);
      return {
        name: spec.name,
        description: `${DESCRIPTIONS[spec.name]} (seed ${spec.seed}${spec.level ? `, level ${spec.level}` : ', levels 1–3'})`,
        problems: generateSuite(spec.name, spec.seed, spec.count, spec.level),
        reported: [],
      };
    }
    case 'standard': {
      if (!isStandard(spec.name)) throw new SuiteError(`unknown standard suite "${spec.name}"`);
      let path: string;
      if (spec.file) path = resolve(o.cwd, spec.file);
      else if (spec.download)
        path = await downloadSuite(spec.name, {
          dataDir: o.dataDir,
          ...(o.fetch ? { fetch: o.fetch } : {}),
          ...(o.hfBaseUrl ? { hfBaseUrl: o.hfBaseUrl } : {}),
          ...(o.signal ? { signal: o.signal } : {}),
        });
      else path = cachedSuitePath(o.dataDir, spec.name);
      const text = await readSuiteFile(path).catch((err: unknown) => {
        if (spec.file || spec.download) throw err;
        throw new SuiteError(
          `${spec.name} is not downloaded yet: pass --download (needs network access) or --file <path to its JSONL/CSV>`,
        );
      });
      const problems = loadProblems(text, basename(path), spec.name);
      return {
        name: spec.name,
        description: DESCRIPTIONS[spec.name],
        problems: spec.limit ? problems.slice(0, spec.limit) : problems,
        reported: REPORTED[spec.name],
      };
    }
    case 'file': {
      const path = resolve(o.cwd, spec.file);
      const problems = loadProblems(
        await readSuiteFile(path),
        basename(path),
        'generic',
        spec.name ?? 'file',
      );
      return {
        name: spec.name ?? basename(path).replace(/\.[^.]+$/, ''),
        description: `problems from ${basename(path)}`,
        problems: spec.limit ? problems.slice(0, spec.limit) : problems,
        reported: [],
      };
    }
    default:
      return spec satisfies never;
  }
}
