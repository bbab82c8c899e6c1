/**
 * A real OpenID provider for the single sign-on tests (`oidc-provider` on 127.0.0.1, its development
 * login and consent pages, back-channel logout on), and a tiny cookie-keeping "browser" that follows
 * redirects and posts the provider's forms the way a person would.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import type { PonderConfig } from '../src/config/schema.ts';

export interface IdpAccount {
  email?: string;
  email_verified?: boolean;
  name?: string;
  groups?: string[];
}

export interface TestIdp {
  issuer: string;
  /** Claims of an account the login form accepts (the login name is the account id and `sub`). */
  accounts: Map<string, IdpAccount>;
  /** Back-channel logout calls that failed (Ponder did not answer 200). */
  backchannelErrors: unknown[];
  /** Registers the client and starts answering (the issuer URL must exist before Ponder's config). */
  start(client: { clientId: string; clientSecret: string; redirectUris: string[]; logoutUri?: string }): void;
  close(): Promise<void>;
}

/** Listens first (so the issuer URL is known), answers once `start` registered the client. */
export async function listenTestIdp(options: { idTokenTtlSeconds?: number } = {}): Promise<TestIdp> {
  let handler:
    | ((req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void)
    | null = null;
  const server: Server = createServer((req, res) => {
    if (handler) handler(req, res);
    else res.writeHead(503).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const accounts = new Map<string, IdpAccount>();
  const backchannelErrors: unknown[] = [];
  return {
    issuer,
    accounts,
    backchannelErrors,
    start(client) {
      const provider = new Provider(issuer, {
        clients: [
          {
            client_id: client.clientId,
            client_secret: client.clientSecret,
            redirect_uris: client.redirectUris,
            response_types: ['code'],
            grant_types: ['authorization_code'],
            ...(client.logoutUri
              ? { backchannel_logout_uri: client.logoutUri, backchannel_logout_session_required: true }
              : {}),
          },
        ],
        async findAccount(_ctx: unknown, id: string) {
          const claims = accounts.get(id);
          if (!claims) return undefined;
          return { accountId: id, claims: async () => ({ sub: id, ...claims }) };
        },
        claims: {
          openid: ['sub'],
          email: ['email', 'email_verified'],
          profile: ['name'],
          groups: ['groups'],
        },
        features: {
          devInteractions: { enabled: true },
          backchannelLogout: { enabled: true },
          rpInitiatedLogout: { enabled: true },
        },
        pkce: { required: () => true },
        ttl: {
          IdToken: options.idTokenTtlSeconds ?? 3600,
          AccessToken: 600,
          Grant: 3600,
          Interaction: 600,
          Session: 3600,
        },
        cookies: { keys: ['ponder-test-idp-cookie-key'] },
        // The provider refuses loopback targets by default; Ponder runs on 127.0.0.1 in the test, so its
        // back-channel logout POST goes out without that dispatcher (the IdP-side "allow internal host").
        fetch: (url: string, options: RequestInit & { dispatcher?: unknown }) => {
          const { dispatcher: _loopbackRefused, ...rest } = options;
          return globalThis.fetch(url, rest);
        },
      });
      // The development pages print warnings to the console: not needed in test output.
      provider.on('server_error', () => {});
      provider.on('backchannel.error', (...args: unknown[]) => backchannelErrors.push(args[1]));
      handler = provider.callback();
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Cookies per origin, redirects by hand: just enough of a browser for an OIDC login. */
export class TestBrowser {
  readonly #jars = new Map<string, Map<string, string>>();

  cookieHeader(url: string): string {
    const jar = this.#jars.get(new URL(url).origin);
    return jar ? [...jar].map(([k, v]) => `${k}=${v}`).join('; ') : '';
  }

  cookie(url: string, name: string): string | undefined {
    return this.#jars.get(new URL(url).origin)?.get(name);
  }

  setCookie(url: string, name: string, value: string): void {
    const origin = new URL(url).origin;
    const jar = this.#jars.get(origin) ?? new Map<string, string>();
    jar.set(name, value);
    this.#jars.set(origin, jar);
  }

  async request(
    url: string,
    init: { method?: string; form?: Record<string, string> } = {},
  ): Promise<Response> {
    const headers = new Headers();
    const cookie = this.cookieHeader(url);
    if (cookie) headers.set('cookie', cookie);
    let body: string | undefined;
    if (init.form) {
      headers.set('content-type', 'application/x-www-form-urlencoded');
      headers.set('origin', new URL(url).origin);
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(url, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      headers,
      ...(body === undefined ? {} : { body }),
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });
    const origin = new URL(url).origin;
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const jar = this.#jars.get(origin) ?? new Map<string, string>();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || /expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
      this.#jars.set(origin, jar);
    }
    return res;
  }

  /**
   * Follows redirects and the provider's login and consent forms (logging in as `login`) until a
   * redirect points at `stopAt`; returns that URL without requesting it.
   */
  async signInAtIdp(startUrl: string, login: string, stopAt: string): Promise<URL> {
    let url = startUrl;
    for (let step = 0; step < 20; step++) {
      if (url.startsWith(stopAt)) return new URL(url);
      const res = await this.request(url);
      const location = res.headers.get('location');
      if (location) {
        await res.body?.cancel();
        url = new URL(location, url).href;
        continue;
      }
      const html = await res.text();
      if (res.status !== 200) throw new Error(`the provider answered ${res.status}: ${html.slice(0, 300)}`);
      const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
      if (!action) throw new Error(`no form on the provider's page: ${html.slice(0, 300)}`);
      const form: Record<string, string> = /name="prompt" value="login"/.test(html)
        ? { prompt: 'login', login, password: 'any' }
        : { prompt: 'consent' };
      const posted = await this.request(new URL(action, url).href, { form });
      const next = posted.headers.get('location');
      await posted.body?.cancel();
      if (!next) throw new Error(`the provider's form answered ${posted.status} without a redirect`);
      url = new URL(next, url).href;
    }
    throw new Error('too many steps at the provider');
  }

  /** Signs out at the provider (its end-session page, "Yes, sign me out"): back-channel logout follows. */
  async signOutAtIdp(issuer: string): Promise<void> {
    const page = await this.request(`${issuer}/session/end`);
    const html = await page.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1];
    if (!action || !xsrf) throw new Error(`no logout form at the provider: ${html.slice(0, 300)}`);
    const res = await this.request(new URL(action, issuer).href, { form: { xsrf, logout: 'yes' } });
    await res.body?.cancel();
    if (res.status >= 400) throw new Error(`the provider's logout answered ${res.status}`);
  }
}

/** The test client Ponder is registered as. */
export const CLIENT_ID = 'ponder-test';
export const CLIENT_SECRET = 'a-long-enough-client-secret-for-the-test-provider';

/**
 * Registers the Ponder at `baseUrl` as `idp`'s test client (for its provider `corp`) and starts the IdP;
 * with `backchannelLogout`, the IdP calls Ponder's back-channel logout URL too.
 */
export function startIdpFor(
  idp: TestIdp,
  baseUrl: string,
  options: { backchannelLogout?: boolean } = {},
): void {
  idp.start({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUris: [`${baseUrl}/api/auth/oidc/corp/callback`],
    ...(options.backchannelLogout ? { logoutUri: `${baseUrl}/api/auth/oidc/corp/backchannel-logout` } : {}),
  });
}

/** Ponder's config for the test provider `corp` (admin claim `groups: ponder-admins`, domain corp.test). */
export function oidcConfig(
  issuer: string,
  overrides: Partial<PonderConfig['oidc']> = {},
): Partial<PonderConfig> {
  return {
    fetch: { allowPrivateHosts: ['127.0.0.1'] },
    oidc: {
      providers: [
        {
          id: 'corp',
          name: 'Corp SSO',
          issuer,
          clientId: CLIENT_ID,
          clientSecret: CLIENT_SECRET,
          scopes: ['email', 'profile', 'groups'],
          adminClaim: { claim: 'groups', value: 'ponder-admins' },
          allowedEmailDomains: ['corp.test'],
          createAccounts: true,
        },
      ],
      localPasswords: true,
      ...overrides,
    },
  } as Partial<PonderConfig>;
}
