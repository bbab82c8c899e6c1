/** Single sign-on as the web app sees it (`GET /api/auth/oidc/providers`). Types only. */

export interface ApiOidcProvider {
  /** In `/api/auth/oidc/<id>/start`. */
  id: string;
  /** "Sign in with <name>". */
  name: string;
}

export interface ApiOidcProviders {
  providers: ApiOidcProvider[];
  /** False when password sign-up and login are turned off: the page shows only the providers. */
  localPasswords: boolean;
}

/** Why a single sign-on failed: `/login?sso_error=<code>` after the callback. */
export const OIDC_ERROR_CODES = [
  'oidc_state',
  'oidc_denied',
  'oidc_failed',
  'oidc_unavailable',
  'oidc_domain',
  'oidc_unverified',
  'oidc_no_email',
  'oidc_no_account',
  'oidc_disabled',
  'oidc_setup',
] as const;
