/** What a suite is: problems with exact reference answers, where they came from, and published figures. */
import type { AnswerKind } from '../check.ts';

export interface EvalProblem {
  /** Stable within the suite (resume finds finished samples by it). */
  id: string;
  problem: string;
  answer: string;
  kind: AnswerKind;
  /** Difficulty, where the source has one (generated suites 1–3, MATH levels 1–5). */
  level?: number;
}

/** A figure a model card or paper reports for a suite, in percent. */
export interface ReportedFigure {
  /** Matched against the model id, case-insensitively. */
  modelPattern: string;
  model: string;
  metric: 'pass@1' | 'cons@k';
  /** For cons@k: the k it was reported at. */
  k?: number;
  value: number;
  source: string;
}

export interface EvalSuite {
  /** e.g. `arithmetic`, `math500`, `my-file`. */
  name: string;
  description: string;
  problems: EvalProblem[];
  reported: ReportedFigure[];
}

/** Generated suites: seedable, exact answers, difficulty 1–3. */
export const GENERATED_SUITES = ['arithmetic', 'units', 'dates', 'logic'] as const;
export type GeneratedSuiteName = (typeof GENERATED_SUITES)[number];

/** Standard files the loaders read (and `--download` fetches). */
export const STANDARD_SUITES = ['gsm8k', 'math500', 'aime2024', 'aime2025'] as const;
export type StandardSuiteName = (typeof STANDARD_SUITES)[number];

/** How a run names its suite; stored with the run so a resume rebuilds the same problems. */
export type SuiteSpec =
  | { type: 'generated'; name: GeneratedSuiteName; seed: number; count: number; level?: number }
  | { type: 'standard'; name: StandardSuiteName; file?: string; download?: boolean; limit?: number }
  | { type: 'file'; file: string; name?: string; limit?: number };

export class SuiteError extends Error {
  override name = 'SuiteError';
}
