/**
 * `ponder eval` runs (migration `0007_eval_runs`). A run belongs to the admin who started it; its
 * configuration (suite spec, models, k, budgets) is plain JSON, each finished sample one row. A sample's
 * model answer, the extracted answer, its vote key and the verdict's reason are encrypted with the owner's
 * data key: a suite may be an owner's private problem set, and answers restate it; like chat text, a
 * database dump alone must not reveal it. Counts, timings and verdicts stay plain so progress reads
 * without a key. Deleting the owner's account removes their runs.
 */

export type EvalRunStatus = 'running' | 'stopped' | 'done' | 'failed';

export interface EvalRunRecord {
  id: string;
  userId: string;
  name: string;
  /** The run's settings as JSON (what a resume needs to rebuild the same work). */
  config: string;
  status: EvalRunStatus;
  error: string | null;
  /** Samples the run will have when complete. */
  total: number;
  /** Samples stored so far. */
  done: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface CreateEvalRunInput {
  userId: string;
  name: string;
  config: string;
  total: number;
}

/** What identifies a sample within its run. */
export interface EvalSampleKey {
  /** The model and thinking setting, e.g. `model|default`. */
  variant: string;
  problemId: string;
  sampleIndex: number;
}

export interface EvalSampleInput extends EvalSampleKey {
  runId: string;
  correct: boolean;
  /** How the answer was found (`boxed`, `answer_is`, …, `none`). */
  method: string;
  finishReason: string;
  promptTokens: number;
  reasoningTokens: number;
  answerTokens: number;
  reasoningChars: number;
  /** Time to the first reasoning or answer text, ms; null when nothing came. */
  ttftMs: number | null;
  durationMs: number;
  /** Encrypted at rest. */
  rawAnswer: string;
  extracted: string | null;
  key: string | null;
  reason: string;
}

export interface EvalSampleRecord extends EvalSampleInput {
  createdAt: Date;
}

export interface EvalStore {
  /** Throws `StoreError('not_found')` for an unknown user. */
  createRun(input: CreateEvalRunInput): Promise<EvalRunRecord>;
  getRun(id: string): Promise<EvalRunRecord | null>;
  /** Newest first. */
  listRuns(options?: { limit?: number }): Promise<EvalRunRecord[]>;
  setStatus(id: string, status: EvalRunStatus, error?: string | null): Promise<void>;
  /** Stores a finished sample; `false` when that sample was already stored (it is never overwritten). */
  addSample(input: EvalSampleInput): Promise<boolean>;
  /** The keys of the stored samples (no decryption): what a resume skips. */
  sampleKeys(runId: string): Promise<EvalSampleKey[]>;
  /** Every stored sample, decrypted, in (variant, problem, index) order. */
  listSamples(runId: string): Promise<EvalSampleRecord[]>;
  /** With its samples; false when there was none. */
  deleteRun(id: string): Promise<boolean>;
}
