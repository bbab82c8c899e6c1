import type { Store, StoreLogger } from '../../store/types.ts';

/** Audit events; `detail` never holds secrets, emails or message text. */
export type AuditEvent =
  | 'signup'
  | 'login'
  | 'login_failed'
  | 'logout'
  | 'password_changed'
  | 'session_revoked'
  | 'api_key_created'
  | 'api_key_revoked'
  | 'account_deleted'
  | 'admin_user_updated'
  | 'admin_user_deleted'
  | 'admin_invite_created'
  | 'user_created_cli'
  /** A tool of Ponder's ran in a turn: `detail` names the tool and how it went, never arguments or output. */
  | 'tool_call'
  /** Single sign-on (issue 14): `detail` names the provider and the outcome, never an email or token. */
  | 'oidc_login'
  | 'oidc_login_failed'
  | 'oidc_logout'
  /** `ponder eval` (issue 15) from the admin page: `detail` holds the run id, suite name and model count. */
  | 'eval_run_started'
  | 'eval_run_deleted';

/** Records an audit entry; a failure is logged, never raised (auditing must not break logins). */
export async function audit(
  store: Store,
  logger: StoreLogger | undefined,
  event: AuditEvent,
  entry: { userId?: string | null; ip?: string | null; detail?: Record<string, unknown> },
): Promise<void> {
  try {
    await store.audit.record({
      event,
      userId: entry.userId ?? null,
      ip: entry.ip ?? null,
      detail: entry.detail ?? null,
    });
  } catch (err) {
    logger?.warn({ event, err: (err as Error).name }, 'audit record failed');
  }
}
