/** Tables of `ponder eval` (migration `0007_eval_runs`; see types-eval.ts). */
import type { Int, Millis, NullableInt } from './schema.ts';

export interface EvalRunsTable {
  id: string;
  user_id: string;
  name: string;
  config: string;
  status: string;
  error: string | null;
  total: Int;
  created_at: Millis;
  updated_at: Millis;
}

export interface EvalSamplesTable {
  run_id: string;
  user_id: string;
  variant: string;
  problem_id: string;
  sample_index: Int;
  correct: Int;
  method: string;
  finish_reason: string;
  prompt_tokens: Int;
  reasoning_tokens: Int;
  answer_tokens: Int;
  reasoning_chars: Int;
  ttft_ms: NullableInt;
  duration_ms: Int;
  /** Encrypted JSON: raw answer, extracted answer, vote key, verdict reason. */
  detail: Buffer;
  created_at: Millis;
}
