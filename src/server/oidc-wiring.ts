/**
 * Single sign-on as the server wires it (part of the composition root, `services.ts`): the OIDC
 * use cases over the app's store and sessions, with every request to a provider going through the
 * guarded fetcher (an IdP on a private address needs `fetch.allowPrivateHosts`).
 */
import { createHmac } from 'node:crypto';
import { OidcSignIn } from '../core/accounts/oidc-sign-in.ts';
import { createGuardedFetch } from '../inference/net/guarded-fetch.ts';
import type { AppFoundation } from './context.ts';

/** Discovery documents, JWKS, token and userinfo answers are small. */
const MAX_PROVIDER_RESPONSE_BYTES = 1024 * 1024;

export function buildOidcSignIn(ctx: AppFoundation): OidcSignIn {
  const logger = ctx.deps.logger;
  const fetch = createGuardedFetch({
    allowPrivateHosts: ctx.config.fetch.allowPrivateHosts,
    timeoutMs: 15_000,
    maxBytes: MAX_PROVIDER_RESPONSE_BYTES,
    ...(logger ? { logger } : {}),
  });
  // The instance secret (the same on every instance) when there is one, so any instance can finish
  // a sign-in another started; otherwise a random key per process (OidcSignIn's default).
  const secret = ctx.deps.deviceSecret
    ? createHmac('sha256', ctx.deps.deviceSecret).update('ponder oidc flow v1').digest()
    : undefined;
  return new OidcSignIn({
    config: ctx.config.oidc,
    store: ctx.store,
    sessions: ctx.accounts.sessions,
    fetch,
    defaultPlan: ctx.config.defaultPlan,
    ...(secret ? { secret } : {}),
    ...(logger ? { logger } : {}),
  });
}
