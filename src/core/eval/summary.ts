/** The figures of a run, per variant (model × thinking setting): what every report format prints. */
import type { EvalRunRecord, EvalSampleRecord } from '../../store/types.ts';
import type { EvalRunConfig, Price } from './run-config.ts';
import { variantsOf } from './run-config.ts';
import { consAtK, distanceInSe, type Estimate, passAt1, type SampleOutcome } from './stats.ts';
import { reportedFor } from './suites/reported.ts';
import type { EvalSuite, ReportedFigure } from './suites/types.ts';

export interface ReportedComparison {
  figure: ReportedFigure;
  /** Our estimate of the same metric, percent. */
  measured: number;
  /** (measured − reported) ÷ SE; null without an SE. */
  distanceSe: number | null;
  /** Set when the reported figure used another k than this run (cons@k). */
  note?: string;
}

export interface VariantSummary {
  variant: string;
  model: string;
  budget: string;
  samples: number;
  problems: number;
  k: number;
  pass1: Estimate;
  /** Majority vote over the samples of each problem; null with k = 1. */
  cons: Estimate | null;
  /** Answers cut off by the length limit (finish reason `length`). */
  cutOff: number;
  /** Samples with no reasoning at all. */
  emptyReasoning: number;
  /** Samples where no answer could be extracted. */
  noAnswer: number;
  meanReasoningTokens: number;
  meanAnswerTokens: number;
  /** Mean time to the first token, ms (after admission). */
  meanTtftMs: number | null;
  /** Generated tokens per second of generation, over all samples. */
  tokensPerSecond: number | null;
  /** Mean wall time of one sample, seconds. */
  meanSeconds: number;
  /** USD for the whole variant from the configured prices; null when none is set for the model. */
  cost: number | null;
  reported: ReportedComparison[];
  /** pass@1 per difficulty level, where the suite has levels (generated 1–3, MATH 1–5). */
  byLevel: Array<{ level: number; pass1: Estimate }>;
}

export interface RunSummary {
  run: {
    id: string;
    name: string;
    status: string;
    done: number;
    total: number;
    createdAt: string;
    error: string | null;
  };
  suite: { name: string; description: string; problems: number };
  settings: { k: number; maxTokens: number; temperature: number; topP: number; plan: string };
  variants: VariantSummary[];
}

const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

function cost(samples: readonly EvalSampleRecord[], price: Price | undefined): number | null {
  if (!price) return null;
  const input = samples.reduce((a, s) => a + s.promptTokens, 0);
  const output = samples.reduce((a, s) => a + s.reasoningTokens + s.answerTokens, 0);
  return (input * price.inputPerMTok + output * price.outputPerMTok) / 1e6;
}

function compare(
  figures: readonly ReportedFigure[],
  model: string,
  pass1: Estimate,
  cons: Estimate | null,
  k: number,
) {
  const out: ReportedComparison[] = [];
  for (const figure of reportedFor(figures, model)) {
    const est = figure.metric === 'pass@1' ? pass1 : cons;
    if (!est) continue;
    const measured = est.mean * 100;
    const se = est.se === null ? null : est.se * 100;
    out.push({
      figure,
      measured,
      distanceSe: distanceInSe(measured, figure.value, se),
      ...(figure.k !== undefined && figure.k !== k
        ? { note: `reported at k = ${figure.k}, measured at k = ${k}` }
        : {}),
    });
  }
  return out;
}

function byLevel(outcomes: readonly SampleOutcome[], levels: ReadonlyMap<string, number>) {
  const found = [
    ...new Set(outcomes.flatMap((o) => (levels.has(o.problemId) ? [levels.get(o.problemId) as number] : []))),
  ];
  return found
    .sort((a, b) => a - b)
    .map((level) => ({ level, pass1: passAt1(outcomes.filter((o) => levels.get(o.problemId) === level)) }));
}

export function summarise(
  run: EvalRunRecord,
  config: EvalRunConfig,
  suite: EvalSuite,
  samples: readonly EvalSampleRecord[],
): RunSummary {
  const levels = new Map(
    suite.problems.flatMap((p) => (p.level === undefined ? [] : [[p.id, p.level] as const])),
  );
  const variants = variantsOf(config).map((v): VariantSummary => {
    const mine = samples.filter((s) => s.variant === v.id);
    const outcomes = mine.map((s) => ({
      problemId: s.problemId,
      sampleIndex: s.sampleIndex,
      correct: s.correct,
      key: s.key,
    }));
    const pass1 = passAt1(outcomes);
    const cons = config.k > 1 ? consAtK(outcomes) : null;
    const ttfts = mine.flatMap((s) => (s.ttftMs === null ? [] : [s.ttftMs]));
    const genMs = mine.reduce((a, s) => a + Math.max(1, s.durationMs - (s.ttftMs ?? 0)), 0);
    const generated = mine.reduce((a, s) => a + s.reasoningTokens + s.answerTokens, 0);
    return {
      variant: v.id,
      model: v.model,
      budget: v.budgetLabel,
      samples: mine.length,
      problems: pass1.problems,
      k: config.k,
      pass1,
      cons,
      cutOff: mine.filter((s) => s.finishReason === 'length').length,
      emptyReasoning: mine.filter((s) => s.reasoningTokens === 0 && s.reasoningChars === 0).length,
      noAnswer: mine.filter((s) => s.extracted === null).length,
      meanReasoningTokens: mean(mine.map((s) => s.reasoningTokens)),
      meanAnswerTokens: mean(mine.map((s) => s.answerTokens)),
      meanTtftMs: ttfts.length ? mean(ttfts) : null,
      tokensPerSecond: mine.length && generated > 0 ? generated / (genMs / 1000) : null,
      meanSeconds: mean(mine.map((s) => s.durationMs / 1000)),
      cost: cost(mine, config.prices[v.model]),
      reported: compare(suite.reported, v.model, pass1, cons, config.k),
      byLevel: byLevel(outcomes, levels),
    };
  });
  return {
    run: {
      id: run.id,
      name: run.name,
      status: run.status,
      done: run.done,
      total: run.total,
      createdAt: run.createdAt.toISOString(),
      error: run.error,
    },
    suite: { name: suite.name, description: suite.description, problems: suite.problems.length },
    settings: {
      k: config.k,
      maxTokens: config.maxTokens,
      temperature: config.temperature,
      topP: config.topP,
      plan: config.plan,
    },
    variants,
  };
}
