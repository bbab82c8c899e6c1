/**
 * Why a single sign-on failed, as typed values (design: errors cross layers as values). The server
 * sends the browser back to the login page with the code; the page shows the matching sentence.
 * `message` is for API callers and logs: it names no secret, token or email.
 */
export type OidcErrorCode =
  /** The flow cookie is missing, expired or tampered with, or `state` does not match it. */
  | 'oidc_state'
  /** The provider answered with an error (the user cancelled, consent refused). */
  | 'oidc_denied'
  /** The provider's answer failed a check: code replayed, ID token expired or forged, bad nonce. */
  | 'oidc_failed'
  /** The provider could not be reached, or its discovery document is unusable. */
  | 'oidc_unavailable'
  /** The email's domain is not in the provider's `allowedEmailDomains`. */
  | 'oidc_domain'
  /** The provider did not say the email is verified: it is neither linked nor used to create an account. */
  | 'oidc_unverified'
  /** The provider gave no usable email. */
  | 'oidc_no_email'
  /** No account has this email and the provider does not create accounts. */
  | 'oidc_no_account'
  /** The account is disabled. */
  | 'oidc_disabled'
  /** No admin exists yet: the first account comes from the setup code or the CLI (or the admin claim). */
  | 'oidc_setup';

export class OidcError extends Error {
  override readonly name = 'OidcError';
  constructor(
    readonly code: OidcErrorCode,
    message: string,
    /** For logs only (never shown): what the library or provider said. */
    readonly detail?: string,
  ) {
    super(message);
  }
}
