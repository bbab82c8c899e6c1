/** The arena's table (migration `0008_arena`); see `migration-arena.ts`. */
import type { Millis, NullableInt, NullableMillis } from './schema.ts';

export interface ArenaBattlesTable {
  id: string;
  user_id: string;
  /** Encrypted (AAD: table `arena_battles`, column `prompt`, row, owner). */
  prompt: Buffer;
  model_a: string;
  model_b: string;
  content_a: Buffer;
  content_b: Buffer;
  reasoning_a: Buffer;
  reasoning_b: Buffer;
  status_a: string;
  status_b: string;
  error_a: string | null;
  error_b: string | null;
  reasoning_ms_a: NullableInt;
  reasoning_ms_b: NullableInt;
  vote: string | null;
  created_at: Millis;
  voted_at: NullableMillis;
}
