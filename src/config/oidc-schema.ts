import { z } from 'zod';

/**
 * One OpenID Connect provider users may sign in with (authorization code + PKCE). Its callback is
 * `<publicUrl>/api/auth/oidc/<id>/callback` and its back-channel logout URI
 * `<publicUrl>/api/auth/oidc/<id>/backchannel-logout`: register both with the provider.
 */
export const oidcProviderSchema = z.strictObject({
  /** In URLs and the audit log: letters, digits, "-" and "_". */
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/i, 'letters, digits, "-" and "_" only (at most 32)'),
  /** Shown on the login page as "Sign in with <name>". */
  name: z.string().trim().min(1).max(60),
  /** The issuer URL; its `/.well-known/openid-configuration` is read through the guarded fetcher. */
  issuer: z.url({ protocol: /^https?$/ }),
  clientId: z.string().min(1).max(500),
  /** Sent to the token endpoint (client_secret_basic); never logged. Omit for a public client. */
  clientSecret: z.string().min(1).max(2000).optional(),
  /** Scopes asked for; `openid` is always added. Default `openid email profile`. */
  scopes: z
    .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'not a scope'))
    .max(30)
    .optional(),
  /**
   * Makes users admins (and takes it away) from a claim on every login: `claim` names it (`groups`,
   * `roles`, or a custom one); the user is an admin when the claim equals `value`, or is an array holding
   * it; without `value`, when the claim is `true`. Without `adminClaim`, admin rights are managed in Ponder.
   */
  adminClaim: z
    .strictObject({
      claim: z.string().min(1).max(200),
      value: z.string().min(1).max(500).optional(),
    })
    .optional(),
  /** Only emails of these domains may sign in (`example.com`, exact match). Default: any domain. */
  allowedEmailDomains: z.array(z.string().trim().toLowerCase().min(1).max(253)).max(100).default([]),
  /** The first login of an unknown (verified) email creates an account. Default true. */
  createAccounts: z.boolean().default(true),
  /**
   * Treat every email this provider sends as verified, for providers that vouch for their users'
   * addresses but send no `email_verified` claim (e.g. Entra ID work accounts). Only set it when the
   * provider lets nobody choose an address they do not own: linking trusts it. Default false.
   */
  assumeEmailVerified: z.boolean().default(false),
});

export const oidcSchema = z
  .strictObject({
    providers: z.array(oidcProviderSchema).max(20).default([]),
    /**
     * Email + password sign-up, login and password change. `false` answers them 403 and the login page
     * shows only the providers. Break-glass: `PONDER_OIDC_LOCAL_PASSWORDS=true` turns them back on for
     * one start (admins are created with `ponder user create --admin`). Default true.
     */
    localPasswords: z.boolean().default(true),
  })
  .superRefine((oidc, ctx) => {
    const seen = new Set<string>();
    oidc.providers.forEach((provider, i) => {
      const id = provider.id.toLowerCase();
      if (seen.has(id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['providers', i, 'id'],
          message: `"${provider.id}" is used twice`,
        });
      }
      seen.add(id);
    });
    if (!oidc.localPasswords && oidc.providers.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['localPasswords'],
        message: 'turning local passwords off needs at least one OIDC provider',
      });
    }
  });

export type OidcConfig = z.infer<typeof oidcSchema>;
export type OidcProviderConfig = z.infer<typeof oidcProviderSchema>;
