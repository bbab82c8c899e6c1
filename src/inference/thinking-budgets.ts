/**
 * Effort → thinking-budget tables. A named effort has to end in an answer in reasonable time on the
 * machine that runs the model, so the embedded engine (a CPU, usually) picks budgets by model size, while
 * upstream servers (GPUs) keep the generous defaults of `EFFORT_BUDGET_TOKENS`.
 *
 * Measured: the 1.5B R1 distill decodes ~27 tokens/s on one stream of this repository's 2-core VM
 * (`npm run bench:engine`, README). Medium = 1024 thinking tokens is ~40 s, leaving room for a few hundred
 * answer tokens within a minute; the old 4096 took 2.5 min at full speed and ~5 min with other streams.
 * Bigger models decode roughly in inverse proportion to their size, so their budgets shrink.
 */
import { stat } from 'node:fs/promises';
import type { ThinkingEffort } from './types.ts';

export type EffortBudgets = Record<ThinkingEffort, number>;

/** One row of a budget table: the first row whose conditions all hold applies. */
export interface ThinkingBudgetRule extends EffortBudgets {
  /** Case-insensitive substring of the model id (e.g. a family: `qwen`, `llama`). */
  match?: string;
  /** Applies to models of at most this many billion parameters. */
  maxParamsB?: number;
}

/** Budgets for models run on the embedded engine (CPU), smallest models first. */
export const EMBEDDED_THINKING_BUDGETS: readonly ThinkingBudgetRule[] = [
  { maxParamsB: 2, low: 384, medium: 1024, high: 3072 },
  { maxParamsB: 4, low: 256, medium: 640, high: 2048 },
  { maxParamsB: 9, low: 128, medium: 384, high: 1024 },
  { low: 128, medium: 256, high: 768 },
];

/**
 * Parameter count in billions from a model name (`…-Qwen-1.5B-Q4_K_M`, `deepseek-r1:7b`, `…-0.5b`),
 * or undefined when the name does not say.
 */
export function paramsFromName(name: string): number | undefined {
  const m = /(?:^|[^a-z0-9.])(\d+(?:\.\d+)?)\s*b(?![a-z0-9])/i.exec(name);
  if (!m?.[1]) return undefined;
  const n = Number(m[1]);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/**
 * A rough parameter count from a GGUF's size: the common quantisations store 4.5–5 bits per weight
 * (Q4_K_M ≈ 0.6 bytes); higher-precision files overestimate, which only makes budgets smaller.
 */
export function paramsFromFileBytes(bytes: number): number {
  return bytes / 0.6e9;
}

/** Budgets of a GGUF model: by the size its id or file name states, else by its file size. */
export async function modelFileBudgets(
  id: string,
  path: string,
  rules: readonly ThinkingBudgetRule[] = [],
): Promise<EffortBudgets> {
  const named = paramsFromName(id) ?? paramsFromName(path.split(/[\\/]/).at(-1) ?? '');
  const size =
    named ??
    (await stat(path).then(
      (s) => paramsFromFileBytes(s.size),
      () => undefined,
    ));
  return budgetsFor(id, size, rules);
}

/** The budgets of the first matching rule of `rules` (then of the defaults). */
export function budgetsFor(
  modelId: string,
  paramsB: number | undefined,
  rules: readonly ThinkingBudgetRule[] = [],
): EffortBudgets {
  const id = modelId.toLowerCase();
  for (const r of [...rules, ...EMBEDDED_THINKING_BUDGETS]) {
    if (r.match !== undefined && !id.includes(r.match.toLowerCase())) continue;
    if (r.maxParamsB !== undefined && (paramsB === undefined || paramsB > r.maxParamsB)) continue;
    return { low: r.low, medium: r.medium, high: r.high };
  }
  // The defaults end with a catch-all row, so this is only reached through a malformed table.
  return { low: 128, medium: 256, high: 768 };
}
