/**
 * One configured OpenID provider, through `openid-client`: discovery, the authorization URL (code +
 * PKCE S256, `state`, `nonce`), the code exchange with its checks (state, nonce, ID token signature,
 * `iss`, `aud`, `exp`), userinfo, and the verification of back-channel logout tokens (with `jose`,
 * against the provider's JWKS). Every request goes through the guarded fetcher: an IdP on a private
 * address needs `fetch.allowPrivateHosts`, like any internal host.
 */
import { createLocalJWKSet, type JSONWebKeySet, errors as joseErrors, jwtVerify } from 'jose';
import * as client from 'openid-client';
import type { OidcProviderConfig } from '../../config/oidc-schema.ts';
import type { GuardedFetch } from '../../inference/net/guarded-fetch.ts';
import { OidcError } from './oidc-errors.ts';

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** How long discovery and the JWKS are kept before they are read again. */
const METADATA_TTL_MS = 60 * 60_000;
/** Oldest logout token accepted (by `iat`), in seconds. */
const LOGOUT_TOKEN_MAX_AGE_S = 10 * 60;
/** Shortest interval between two reads of the JWKS prompted by an unknown key id. */
const JWKS_REFRESH_MIN_MS = 60_000;
/** Clock tolerance for `exp`, `iat` and `nbf`, in seconds (openid-client's default). */
const CLOCK_TOLERANCE_S = 30;

export interface OidcIdentity {
  subject: string;
  /** The provider session, when the ID token carries `sid`. */
  sid: string | null;
  /** ID token claims, completed by userinfo for what the ID token left out. */
  claims: Record<string, unknown>;
}

export interface OidcClientOptions {
  provider: OidcProviderConfig;
  fetch: GuardedFetch;
  now: () => Date;
}

export class OidcClient {
  readonly provider: OidcProviderConfig;
  readonly #fetch: client.CustomFetch;
  readonly #guarded: GuardedFetch;
  readonly #now: () => Date;
  #discovered: { at: number; config: Promise<client.Configuration> } | undefined;
  #jwks: { at: number; set: ReturnType<typeof createLocalJWKSet> } | undefined;
  /** openid-client's copy of the provider's keys, carried from one sign-in's configuration to the next. */
  #idTokenKeys: ReturnType<typeof client.getJwksCache>;

  constructor(options: OidcClientOptions) {
    this.provider = options.provider;
    this.#guarded = options.fetch;
    this.#now = options.now;
    this.#fetch = async (url, init) => {
      const method = init.method.toUpperCase();
      if (method !== 'GET' && method !== 'POST') throw new Error(`method ${method} is not used with OIDC`);
      return this.#guarded(url, {
        method,
        headers: init.headers,
        ...(init.body === undefined || init.body === null ? {} : { body: bodyText(init.body) }),
        ...(init.signal ? { signal: init.signal } : {}),
        // openid-client treats redirects as errors anyway; credentials must not follow one.
        redirect: 'error',
      });
    };
  }

  /** The authorization URL for a new flow. */
  async authorizationUrl(input: {
    redirectUri: string;
    state: string;
    nonce: string;
    codeVerifier: string;
  }): Promise<URL> {
    const config = await this.#config();
    const scopes = new Set(['openid', ...(this.provider.scopes ?? ['email', 'profile'])]);
    return client.buildAuthorizationUrl(config, {
      redirect_uri: input.redirectUri,
      scope: [...scopes].join(' '),
      state: input.state,
      nonce: input.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(input.codeVerifier),
      code_challenge_method: 'S256',
    });
  }

  /** Exchanges the code in `callbackUrl`; every check openid-client makes must pass. */
  async finish(
    callbackUrl: URL,
    expected: { state: string; nonce: string; codeVerifier: string; redirectUri: string },
  ): Promise<OidcIdentity> {
    const config = await this.#config();
    let claims: Record<string, unknown>;
    let accessToken: string;
    try {
      const tokens = await client.authorizationCodeGrant(
        config,
        callbackUrl,
        {
          pkceCodeVerifier: expected.codeVerifier,
          expectedState: expected.state,
          expectedNonce: expected.nonce,
          idTokenExpected: true,
        },
        { redirect_uri: expected.redirectUri },
      );
      this.#idTokenKeys = client.getJwksCache(config) ?? this.#idTokenKeys;
      const idClaims = tokens.claims();
      if (!idClaims) throw new OidcError('oidc_failed', 'The provider sent no ID token.');
      claims = { ...idClaims };
      accessToken = tokens.access_token;
    } catch (err) {
      throw classify(err);
    }
    const subject = claims.sub as string;
    if (config.serverMetadata().userinfo_endpoint) {
      try {
        const info = await client.fetchUserInfo(config, accessToken, subject);
        // The ID token wins; userinfo fills in what it left out (many providers keep email there).
        for (const [k, v] of Object.entries(info)) if (!(k in claims)) claims[k] = v;
      } catch (err) {
        throw classify(err);
      }
    }
    return { subject, sid: typeof claims.sid === 'string' ? claims.sid : null, claims };
  }

  /**
   * Verifies a back-channel logout token (OIDC Back-Channel Logout 1.0 §2.6): signature by the
   * provider's JWKS, `iss`, `aud`, `iat`, the logout event, `sub` or `sid`, and no `nonce`.
   */
  async verifyLogoutToken(token: string): Promise<{ sid?: string; subject?: string; jti?: string }> {
    const config = await this.#config();
    const meta = config.serverMetadata();
    let payload: Record<string, unknown>;
    try {
      const verify = async (refresh: boolean) =>
        jwtVerify(token, await this.#keys(meta.jwks_uri, refresh), {
          issuer: meta.issuer,
          audience: this.provider.clientId,
          currentDate: this.#now(),
          clockTolerance: CLOCK_TOLERANCE_S,
          requiredClaims: ['iat'],
          // Older tokens are refused, so remembering used `jti`s for that long stops replays.
          maxTokenAge: LOGOUT_TOKEN_MAX_AGE_S,
        });
      try {
        payload = (await verify(false)).payload as Record<string, unknown>;
      } catch (err) {
        // A rotated signing key: read the JWKS once more.
        if (!(err instanceof joseErrors.JWKSNoMatchingKey)) throw err;
        payload = (await verify(true)).payload as Record<string, unknown>;
      }
    } catch (err) {
      if (err instanceof OidcError) throw err;
      throw new OidcError('oidc_failed', 'The logout token is not valid.', errorDetail(err));
    }
    const events = payload.events as Record<string, unknown> | undefined;
    if (!events || typeof events !== 'object' || typeof events[BACKCHANNEL_EVENT] !== 'object') {
      throw new OidcError('oidc_failed', 'The logout token has no back-channel logout event.');
    }
    if ('nonce' in payload) throw new OidcError('oidc_failed', 'A logout token must not carry a nonce.');
    const sid = typeof payload.sid === 'string' && payload.sid ? payload.sid : undefined;
    const subject = typeof payload.sub === 'string' && payload.sub ? payload.sub : undefined;
    if (!sid && !subject) throw new OidcError('oidc_failed', 'The logout token names neither sid nor sub.');
    return {
      ...(sid ? { sid } : {}),
      ...(subject ? { subject } : {}),
      ...(typeof payload.jti === 'string' ? { jti: payload.jti } : {}),
    };
  }

  async #keys(jwksUri: string | undefined, refresh: boolean): Promise<ReturnType<typeof createLocalJWKSet>> {
    const now = Date.now();
    const age = this.#jwks ? now - this.#jwks.at : Number.POSITIVE_INFINITY;
    // A token with an unknown key id re-reads the keys at most once a minute: forged tokens cannot
    // make Ponder hammer the provider.
    if (this.#jwks && (refresh ? age < JWKS_REFRESH_MIN_MS : age < METADATA_TTL_MS)) return this.#jwks.set;
    if (!jwksUri)
      throw new OidcError('oidc_unavailable', 'The provider publishes no signing keys (jwks_uri).');
    let jwks: JSONWebKeySet;
    try {
      const res = await this.#guarded(jwksUri, {
        headers: { accept: 'application/json' },
        redirect: 'error',
      });
      if (!res.ok) throw new Error(`JWKS answered ${res.status}`);
      jwks = (await res.json()) as JSONWebKeySet;
    } catch (err) {
      throw new OidcError(
        'oidc_unavailable',
        'The provider signing keys could not be read.',
        errorDetail(err),
      );
    }
    this.#jwks = { at: now, set: createLocalJWKSet(jwks) };
    return this.#jwks.set;
  }

  /**
   * The provider's configuration (discovered once an hour; a failure is retried on the next sign-in),
   * with the clock skew that makes openid-client's "now" equal ours.
   */
  async #config(): Promise<client.Configuration> {
    const now = Date.now();
    if (!this.#discovered || now - this.#discovered.at >= METADATA_TTL_MS) {
      const discovered = { at: now, config: this.#discover() };
      this.#discovered = discovered;
      discovered.config.catch(() => {
        if (this.#discovered === discovered) this.#discovered = undefined;
      });
    }
    const base = await this.#discovered.config;
    const skew = Math.round((this.#now().getTime() - Date.now()) / 1000);
    const config = new client.Configuration(
      base.serverMetadata(),
      this.provider.clientId,
      {
        ...secretMetadata(this.provider),
        [client.clockSkew]: skew,
        [client.clockTolerance]: CLOCK_TOLERANCE_S,
      },
      clientAuth(this.provider),
    );
    config[client.customFetch] = this.#fetch;
    config.timeout = 15;
    if (new URL(this.provider.issuer).protocol === 'http:') client.allowInsecureRequests(config);
    // The ID token's signature is checked too (not only TLS): an internal IdP may be reached over http.
    client.enableNonRepudiationChecks(config);
    if (this.#idTokenKeys) client.setJwksCache(config, this.#idTokenKeys);
    return config;
  }

  async #discover(): Promise<client.Configuration> {
    const issuer = new URL(this.provider.issuer);
    try {
      return await client.discovery(
        issuer,
        this.provider.clientId,
        secretMetadata(this.provider),
        clientAuth(this.provider),
        {
          [client.customFetch]: this.#fetch,
          timeout: 15,
          ...(issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : {}),
        },
      );
    } catch (err) {
      throw new OidcError(
        'oidc_unavailable',
        'The identity provider could not be reached.',
        errorDetail(err),
      );
    }
  }
}

function secretMetadata(provider: OidcProviderConfig): Partial<client.ClientMetadata> {
  return provider.clientSecret ? { client_secret: provider.clientSecret } : {};
}

function clientAuth(provider: OidcProviderConfig): client.ClientAuth {
  return provider.clientSecret ? client.ClientSecretBasic(provider.clientSecret) : client.None();
}

function bodyText(body: client.FetchBody): string {
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  if (body instanceof ArrayBuffer) return Buffer.from(body).toString('utf8');
  throw new Error('streamed request bodies are not used with OIDC');
}

/** openid-client's errors → ours: the provider's refusal, an unusable answer, or the network. */
function classify(err: unknown): OidcError {
  if (err instanceof OidcError) return err;
  const e = err as { name?: string; code?: string; error?: string; message?: string };
  if (e?.name === 'FetchRefused' || e?.name === 'FetchFailed') {
    return new OidcError('oidc_unavailable', 'The identity provider could not be reached.', errorDetail(err));
  }
  if (e?.name === 'AuthorizationResponseError') {
    return new OidcError('oidc_denied', 'The identity provider did not sign you in.', errorDetail(err));
  }
  const cause = (err as { cause?: { message?: unknown } })?.cause;
  const why = `${e?.message ?? ''} ${typeof cause?.message === 'string' ? cause.message : ''}`;
  if (e?.code === 'OAUTH_INVALID_RESPONSE' && /"state"/.test(why)) {
    return new OidcError('oidc_state', 'The sign-in state does not match: start again.', errorDetail(err));
  }
  return new OidcError(
    'oidc_failed',
    "The identity provider's answer could not be verified (expired, replayed or forged): start again.",
    errorDetail(err),
  );
}

/** The library's words for logs: error names, codes and messages (and their cause's), never a token. */
function errorDetail(err: unknown): string {
  const e = err as { name?: unknown; code?: unknown; error?: unknown; message?: unknown; detail?: unknown };
  const cause = (err as { cause?: { message?: unknown } })?.cause;
  return [e?.name, e?.code, e?.error, e?.detail ?? e?.message, cause?.message]
    .filter((x) => typeof x === 'string' && x)
    .join(': ')
    .slice(0, 300);
}
