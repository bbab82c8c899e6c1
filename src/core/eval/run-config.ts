/** A run's settings: validated once, stored as JSON with the run, read back on resume. */
import { z } from 'zod';
import { type Budget, budgetLabel, PROTOCOL, parseBudget } from './protocol.ts';
import { GENERATED_SUITES, STANDARD_SUITES, type SuiteSpec } from './suites/types.ts';

/** USD per million tokens, per model id. */
export const priceSchema = z.strictObject({
  inputPerMTok: z.number().nonnegative(),
  outputPerMTok: z.number().nonnegative(),
});
export type Price = z.infer<typeof priceSchema>;

export const generatedSuiteSchema = z.strictObject({
  type: z.literal('generated'),
  name: z.enum(GENERATED_SUITES),
  seed: z
    .int()
    .min(0)
    .max(2 ** 31),
  count: z.int().min(1).max(10_000),
  level: z.int().min(1).max(3).optional(),
});

/** `file` reads the suite from a local path instead of the downloaded cache (the CLI's, never the web's). */
export const standardSuiteSchema = z.strictObject({
  type: z.literal('standard'),
  name: z.enum(STANDARD_SUITES),
  file: z.string().min(1).max(4096).optional(),
  download: z.boolean().optional(),
  limit: z.int().min(1).max(100_000).optional(),
});

const suiteSchema = z.discriminatedUnion('type', [
  generatedSuiteSchema,
  standardSuiteSchema,
  z.strictObject({
    type: z.literal('file'),
    file: z.string().min(1).max(4096),
    name: z.string().min(1).max(100).optional(),
    limit: z.int().min(1).max(100_000).optional(),
  }),
]);

export const runConfigSchema = z.strictObject({
  suite: suiteSchema,
  /** Model ids as `/v1/models` lists them (embedded, an upstream, another Ponder behind an upstream). */
  models: z.array(z.string().min(1).max(300)).min(1).max(16),
  /** Thinking settings: `default`, `off`, a token budget, `low`/`medium`/`high`; several make a budget curve. */
  budgets: z
    .array(z.string().min(1).max(20))
    .min(1)
    .max(16)
    .refine((b) => b.every(isBudget), {
      message: 'each budget is default, off, low, medium, high or a number',
    }),
  k: z.int().min(1).max(256).default(PROTOCOL.k),
  maxTokens: z.int().min(1).max(1_000_000).default(PROTOCOL.maxTokens),
  temperature: z.number().min(0).max(2).default(PROTOCOL.temperature),
  topP: z.number().gt(0).max(1).default(PROTOCOL.topP),
  /** Samples in flight at once; never more than the plan's concurrency. Default: the plan's. */
  concurrency: z.int().min(1).max(64).optional(),
  /** The plan the run's turns are admitted under. Default `eval`. */
  plan: z.string().min(1).max(64).default('eval'),
  prices: z.record(z.string(), priceSchema).default({}),
  /** The `.gguf` the CLI loaded as the embedded default model for this run (a resume loads it again). */
  engineModel: z.string().min(1).max(4096).optional(),
  /** SHA-256 of the suite's problems when the run was created: a resume refuses a suite that changed. */
  suiteHash: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});

export type EvalRunConfig = z.infer<typeof runConfigSchema>;
export type EvalRunConfigInput = z.input<typeof runConfigSchema>;

function isBudget(b: string): boolean {
  try {
    parseBudget(b);
    return true;
  } catch {
    return false;
  }
}

export interface Variant {
  /** `model|budget`: how samples are keyed and reported. */
  id: string;
  model: string;
  budget: Budget;
  budgetLabel: string;
}

export function variantsOf(config: EvalRunConfig): Variant[] {
  const out: Variant[] = [];
  for (const model of config.models)
    for (const raw of config.budgets) {
      const budget = parseBudget(raw);
      const label = budgetLabel(budget);
      if (!out.some((v) => v.model === model && v.budgetLabel === label))
        out.push({ id: `${model}|${label}`, model, budget, budgetLabel: label });
    }
  return out;
}

export function suiteLabel(spec: SuiteSpec): string {
  return spec.type === 'file' ? (spec.name ?? spec.file) : spec.name;
}
