/**
 * Published figures shipped with the suite definitions (percent), matched to a run's model id by pattern.
 * Sources: DeepSeek-R1 paper (arXiv 2501.12948) Tables 4 and 5, k = 64 samples at temperature 0.6,
 * top-p 0.95, 32 768 tokens; Hugging Face open-r1's reproduction (README, lighteval) for the 1.5B distill.
 */
import type { ReportedFigure, StandardSuiteName } from './types.ts';

const R1 = '^(deepseek-)?r1(?!-distill)|deepseek-reasoner';
const R1_DISTILL_1_5B = 'r1-distill-qwen-1\\.5b';
const PAPER = 'DeepSeek-R1 paper, arXiv 2501.12948';
const OPEN_R1 = 'open-r1 reproduction (lighteval)';

export const REPORTED: Record<StandardSuiteName, ReportedFigure[]> = {
  aime2024: [
    { modelPattern: R1, model: 'DeepSeek-R1', metric: 'pass@1', value: 79.8, source: PAPER },
    {
      modelPattern: R1_DISTILL_1_5B,
      model: 'R1-Distill-Qwen-1.5B',
      metric: 'pass@1',
      value: 28.9,
      source: PAPER,
    },
    {
      modelPattern: R1_DISTILL_1_5B,
      model: 'R1-Distill-Qwen-1.5B',
      metric: 'cons@k',
      k: 64,
      value: 52.7,
      source: PAPER,
    },
    {
      modelPattern: R1_DISTILL_1_5B,
      model: 'R1-Distill-Qwen-1.5B',
      metric: 'pass@1',
      value: 30.7,
      source: `${OPEN_R1}, k = 64`,
    },
  ],
  math500: [
    { modelPattern: R1, model: 'DeepSeek-R1', metric: 'pass@1', value: 97.3, source: PAPER },
    {
      modelPattern: R1_DISTILL_1_5B,
      model: 'R1-Distill-Qwen-1.5B',
      metric: 'pass@1',
      value: 83.9,
      source: PAPER,
    },
    {
      modelPattern: R1_DISTILL_1_5B,
      model: 'R1-Distill-Qwen-1.5B',
      metric: 'pass@1',
      value: 83.1,
      source: `${OPEN_R1}, k = 4`,
    },
  ],
  gsm8k: [],
  aime2025: [],
};

/** The figures that apply to `modelId` among a suite's. */
export function reportedFor(figures: readonly ReportedFigure[], modelId: string): ReportedFigure[] {
  return figures.filter((f) => new RegExp(f.modelPattern, 'i').test(modelId));
}
