/** A stored sample as it is read back (the admin API, `ponder eval samples`): to audit the checker. */
import type { EvalSampleRecord } from '../../store/types.ts';
import type { EvalSuite } from './suites/types.ts';

/** Reference answers by problem id; empty when the suite could not be read again. */
export function expectedAnswers(suite: EvalSuite | undefined): Map<string, string> {
  return new Map(suite?.problems.map((p) => [p.id, p.answer]) ?? []);
}

/** The sample's verdict beside the reference answer: what was extracted, how, and why it was judged so. */
export function judgedSample(x: EvalSampleRecord, expected: ReadonlyMap<string, string>) {
  return {
    variant: x.variant,
    problemId: x.problemId,
    sampleIndex: x.sampleIndex,
    correct: x.correct,
    expected: expected.get(x.problemId) ?? null,
    extracted: x.extracted,
    method: x.method,
    reason: x.reason,
    finishReason: x.finishReason,
  };
}
