/** The Responses API's table (migration `0006_responses`); see `migration-responses.ts`. */
import type { Millis } from './schema.ts';

export interface ResponsesTable {
  id: string;
  user_id: string;
  /** Encrypted JSON (AAD: table `responses`, column `body`, row, owner). */
  body: Buffer;
  created_at: Millis;
}
