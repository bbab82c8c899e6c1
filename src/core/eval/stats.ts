/**
 * The figures DeepSeek reports, computed from per-sample verdicts.
 *
 * - pass@1 = mean over problems of (correct samples ÷ samples of that problem): every problem weighs the
 *   same, whatever its number of samples (a resumed run may have uneven k).
 * - Its standard error is the SE **across problems**: SE = s / √n with s the sample standard deviation
 *   (n − 1) of the per-problem accuracies and n the number of problems — the uncertainty from which
 *   problems were drawn (the error bar of "Adding Error Bars to Evals", Miller 2024), which also holds
 *   the sampling noise within each problem. One problem: no SE (null).
 * - cons@k: per problem, the majority answer among its samples (answers grouped by their normal form;
 *   samples without an answer do not vote); a problem counts when that answer is right. Ties go to the
 *   answer whose first vote came earliest (lowest sample index), so the result is deterministic. SE as above,
 *   over the 0/1 outcomes.
 * - distance = (measured − reported) ÷ SE, in standard errors.
 */

export interface SampleOutcome {
  problemId: string;
  sampleIndex: number;
  correct: boolean;
  /** The normal form of the extracted answer (majority-vote key); null when none was found. */
  key: string | null;
}

export interface Estimate {
  /** 0..1 */
  mean: number;
  /** Standard error across problems, 0..1; null with fewer than two problems. */
  se: number | null;
  problems: number;
}

export function meanAndSe(values: readonly number[]): Estimate {
  const n = values.length;
  if (n === 0) return { mean: 0, se: null, problems: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, se: null, problems: n };
  const ss = values.reduce((a, v) => a + (v - mean) ** 2, 0);
  return { mean, se: Math.sqrt(ss / (n - 1) / n), problems: n };
}

function byProblem(samples: readonly SampleOutcome[]): Map<string, SampleOutcome[]> {
  const groups = new Map<string, SampleOutcome[]>();
  for (const s of samples) {
    const g = groups.get(s.problemId);
    if (g) g.push(s);
    else groups.set(s.problemId, [s]);
  }
  for (const g of groups.values()) g.sort((a, b) => a.sampleIndex - b.sampleIndex);
  return groups;
}

/** pass@1: the mean of per-problem accuracies, with its SE across problems. */
export function passAt1(samples: readonly SampleOutcome[]): Estimate {
  const perProblem = [...byProblem(samples).values()].map(
    (g) => g.filter((s) => s.correct).length / g.length,
  );
  return meanAndSe(perProblem);
}

/** The majority sample of one problem's samples (see the tie-break above); undefined when none voted. */
export function majority(samples: readonly SampleOutcome[]): SampleOutcome | undefined {
  const votes = new Map<string, { count: number; first: SampleOutcome }>();
  for (const s of [...samples].sort((a, b) => a.sampleIndex - b.sampleIndex)) {
    if (s.key === null) continue;
    const v = votes.get(s.key);
    if (v) v.count++;
    else votes.set(s.key, { count: 1, first: s });
  }
  let best: { count: number; first: SampleOutcome } | undefined;
  for (const v of votes.values()) {
    if (
      !best ||
      v.count > best.count ||
      (v.count === best.count && v.first.sampleIndex < best.first.sampleIndex)
    )
      best = v;
  }
  return best?.first;
}

/** cons@k: the share of problems whose majority answer is right. */
export function consAtK(samples: readonly SampleOutcome[]): Estimate {
  const outcomes = [...byProblem(samples).values()].map((g) => (majority(g)?.correct ? 1 : 0));
  return meanAndSe(outcomes);
}

/** (measured − reported) in standard errors; null without an SE (or a zero one). Both in percent. */
export function distanceInSe(measuredPct: number, reportedPct: number, sePct: number | null): number | null {
  if (sePct === null || sePct === 0) return null;
  return (measuredPct - reportedPct) / sePct;
}
