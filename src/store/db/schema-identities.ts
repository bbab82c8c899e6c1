/** Tables of single sign-on (migration 0005_identities). */
import type { Millis } from './schema.ts';

/** One identity at an OpenID provider, linked to a Ponder account: (provider, subject) is unique. */
export interface IdentitiesTable {
  id: string;
  user_id: string;
  provider: string;
  subject: string;
  created_at: Millis;
  last_login_at: Millis;
}

/**
 * Which provider session (`sid`) a Ponder session came from, so back-channel logout can end it.
 * One row per session that an OIDC login created; removed with the session or the user.
 */
export interface SessionIdentitiesTable {
  session_id: string;
  user_id: string;
  provider: string;
  subject: string;
  sid: string | null;
}
