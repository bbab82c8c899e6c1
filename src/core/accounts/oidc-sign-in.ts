/**
 * Single sign-on use cases (issue 14): start a sign-in (flow cookie + redirect to the provider),
 * finish it (code exchange, account policy, session) and back-channel logout (end the sessions of a
 * provider session). Every outcome is audited without emails or tokens.
 */
import { randomBytes } from 'node:crypto';
import * as client from 'openid-client';
import type { OidcConfig, OidcProviderConfig } from '../../config/oidc-schema.ts';
import type { GuardedFetch } from '../../inference/net/guarded-fetch.ts';
import type { Store, StoreLogger } from '../../store/types.ts';
import { audit } from './audit.ts';
import { resolveAccount } from './oidc-accounts.ts';
import { OidcClient } from './oidc-client.ts';
import { OidcError } from './oidc-errors.ts';
import { OIDC_FLOW_TTL_MS, OidcFlowSealer, safeReturnTo } from './oidc-state.ts';
import type { Sessions } from './sessions.ts';
import { type ClientInfo, type SessionLogin, toAccountUser } from './types.ts';

export interface OidcSignInDeps {
  config: OidcConfig;
  store: Store;
  sessions: Sessions;
  /** The guarded fetcher every request to a provider goes through. */
  fetch: GuardedFetch;
  defaultPlan: string;
  /** Seals the flow cookie; the same on every instance. Default: random per process. */
  secret?: Uint8Array;
  logger?: StoreLogger;
  now?: () => Date;
}

/** How many logout token ids are remembered against replays (each token is valid for minutes). */
const SEEN_JTI_MAX = 10_000;

export class OidcSignIn {
  readonly #deps: OidcSignInDeps;
  readonly #clients = new Map<string, OidcClient>();
  readonly #sealer: OidcFlowSealer;
  readonly #now: () => Date;
  readonly #seenJti = new Set<string>();

  constructor(deps: OidcSignInDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
    this.#sealer = new OidcFlowSealer(deps.secret ?? randomBytes(32));
    for (const provider of deps.config.providers) {
      this.#clients.set(provider.id, new OidcClient({ provider, fetch: deps.fetch, now: this.#now }));
    }
  }

  /** Providers for the login page, in config order. */
  get providers(): Array<Pick<OidcProviderConfig, 'id' | 'name'>> {
    return this.#deps.config.providers.map(({ id, name }) => ({ id, name }));
  }

  get localPasswords(): boolean {
    return this.#deps.config.localPasswords;
  }

  has(providerId: string): boolean {
    return this.#clients.has(providerId);
  }

  /** The provider's authorization URL and the sealed flow to keep in a cookie until the callback. */
  async start(
    providerId: string,
    input: { redirectUri: string; returnTo?: unknown },
  ): Promise<{ url: URL; flowCookie: string }> {
    const oidc = this.#client(providerId);
    const flow = {
      provider: providerId,
      state: client.randomState(),
      nonce: client.randomNonce(),
      codeVerifier: client.randomPKCECodeVerifier(),
      returnTo: safeReturnTo(input.returnTo),
      expiresAt: this.#now().getTime() + OIDC_FLOW_TTL_MS,
    };
    const url = await oidc.authorizationUrl({ ...flow, redirectUri: input.redirectUri });
    return { url, flowCookie: this.#sealer.seal(flow) };
  }

  /**
   * Finishes the sign-in the flow cookie describes: `callbackUrl` is the full URL the provider sent the
   * browser to. Returns a new session and where to send the browser; throws `OidcError`.
   */
  async finish(
    providerId: string,
    input: { callbackUrl: URL; redirectUri: string; flowCookie: string | undefined; client: ClientInfo },
  ): Promise<SessionLogin & { returnTo: string }> {
    const { store, logger } = this.#deps;
    const oidc = this.#client(providerId);
    try {
      const flow = this.#sealer.open(input.flowCookie, this.#now().getTime());
      if (!flow || flow.provider !== providerId) {
        throw new OidcError(
          'oidc_state',
          'This sign-in expired or was not started in this browser: start again.',
        );
      }
      const identity = await oidc.finish(input.callbackUrl, { ...flow, redirectUri: input.redirectUri });
      const account = await resolveAccount(
        { store, defaultPlan: this.#deps.defaultPlan, now: this.#now },
        oidc.provider,
        identity,
      );
      const login = await this.#deps.sessions.create(
        toAccountUser(account.user),
        input.client.userAgent ?? null,
      );
      await store.identities.attachSession({
        sessionId: login.session.id,
        userId: account.user.id,
        provider: providerId,
        subject: identity.subject,
        sid: identity.sid,
      });
      await audit(store, logger, 'oidc_login', {
        userId: account.user.id,
        ip: input.client.ip,
        detail: {
          provider: providerId,
          how: account.how,
          isAdmin: account.user.isAdmin,
          adminChanged: account.adminChanged,
        },
      });
      return { ...login, returnTo: flow.returnTo };
    } catch (err) {
      const failure =
        err instanceof OidcError
          ? err
          : new OidcError('oidc_failed', 'The sign-in could not be completed.', (err as Error)?.name);
      await audit(store, logger, 'oidc_login_failed', {
        ip: input.client.ip,
        detail: { provider: providerId, reason: failure.code },
      });
      logger?.warn(
        { provider: providerId, code: failure.code, detail: failure.detail },
        'oidc sign-in failed',
      );
      throw failure;
    }
  }

  /**
   * Back-channel logout: verifies the provider's logout token and ends the matching sessions. Returns
   * how many accounts were affected; throws `OidcError` for an invalid or replayed token.
   */
  async backchannelLogout(providerId: string, logoutToken: string, ip: string | null): Promise<number> {
    const { store, logger } = this.#deps;
    const claims = await this.#client(providerId).verifyLogoutToken(logoutToken);
    if (claims.jti) {
      const key = `${providerId}\0${claims.jti}`;
      if (this.#seenJti.has(key)) throw new OidcError('oidc_failed', 'This logout token was already used.');
      if (this.#seenJti.size >= SEEN_JTI_MAX) this.#seenJti.clear();
      this.#seenJti.add(key);
    }
    const users = await store.identities.endSessions({
      provider: providerId,
      ...(claims.sid ? { sid: claims.sid } : {}),
      ...(claims.subject ? { subject: claims.subject } : {}),
    });
    for (const userId of users) {
      await audit(store, logger, 'oidc_logout', {
        userId,
        ip,
        detail: { provider: providerId, by: claims.sid ? 'sid' : 'sub' },
      });
    }
    return users.length;
  }

  #client(providerId: string): OidcClient {
    const found = this.#clients.get(providerId);
    if (!found) throw new OidcError('oidc_unavailable', 'No such sign-in provider.');
    return found;
  }
}
