/**
 * Resolves who is calling: the session cookie for `/api`, an API key (Bearer or `x-api-key`) for
 * `/v1`. Routes are protected by default: a route opts out with `config: { public: true }`, and admin
 * routes say `config: { admin: true }` (non-admins get 404, as if the route did not exist).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Accounts, AccountUser, ApiKeys } from '../../core/accounts/index.ts';
import type { ApiKeyRecord, SessionRecord } from '../../store/types.ts';
import { HttpError, notFound, unauthenticated } from '../errors.ts';
import { SESSION_COOKIE } from './cookie.ts';

export type AuthContext =
  | { via: 'session'; user: AccountUser; session: SessionRecord }
  | { via: 'apiKey'; user: AccountUser; apiKey: ApiKeyRecord };

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling; `null` when anonymous. Set before any route-level hook runs. */
    auth: AuthContext | null;
    /** Shorthand for `auth?.user ?? null`. */
    user: AccountUser | null;
  }
  interface FastifyContextConfig {
    /** Reachable without authentication (sign-up, login, health). Default false. */
    public?: boolean;
    /** Admins only; everyone else gets 404. Default false. */
    admin?: boolean;
  }
}

export function isApiPath(url: string): boolean {
  return url.startsWith('/api/') || url === '/api' || url.startsWith('/api?');
}

export function isV1Path(url: string): boolean {
  return url.startsWith('/v1/') || url === '/v1' || url.startsWith('/v1?');
}

/** The raw API key from `Authorization: Bearer …` or `x-api-key`, if any. */
export function apiKeyFrom(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match?.[1]) return match[1];
  }
  const xKey = request.headers['x-api-key'];
  return typeof xKey === 'string' && xKey.trim() !== '' ? xKey.trim() : null;
}

export function installAuth(app: FastifyInstance, services: { accounts: Accounts; apiKeys: ApiKeys }): void {
  app.decorateRequest('auth', null);
  app.decorateRequest('user', null);

  app.addHook('onRequest', async (request) => {
    request.auth = null;
    request.user = null;
    if (isV1Path(request.url)) {
      const raw = apiKeyFrom(request);
      if (raw) {
        const found = await services.apiKeys.authenticate(raw);
        if (found) request.auth = { via: 'apiKey', user: found.user, apiKey: found.apiKey };
      }
    } else if (isApiPath(request.url)) {
      const token = request.cookies[SESSION_COOKIE];
      if (token) {
        const found = await services.accounts.sessions.authenticate(token);
        if (found) request.auth = { via: 'session', user: found.user, session: found.session };
      }
    }
    request.user = request.auth?.user ?? null;

    if (request.is404) return;
    const config = request.routeOptions.config;
    // Judge by the route's pattern, not the URL: `/api/nope` may be caught by the static wildcard `/*`.
    const pattern = request.routeOptions.url ?? '';
    if (config.public || !(isApiPath(pattern) || isV1Path(pattern))) return;
    if (!request.user) throw unauthenticated();
    if (config.admin && !request.user.isAdmin) throw notFound('No such route.');
  });
}

/** The caller; throws 401 when anonymous (for routes that are `public` but act differently when logged in). */
export function requireUser(request: FastifyRequest): AccountUser {
  if (!request.user) throw unauthenticated();
  return request.user;
}

/** The calling admin; 404 for everyone else. */
export function requireAdmin(request: FastifyRequest): AccountUser {
  const user = requireUser(request);
  if (!user.isAdmin) throw notFound('No such route.');
  return user;
}

/** The caller's session; throws when the request was not authenticated by cookie. */
export function requireSession(request: FastifyRequest): SessionRecord {
  if (request.auth?.via !== 'session') {
    throw new HttpError(401, 'unauthenticated', 'This needs a browser session.');
  }
  return request.auth.session;
}

/** The client IP for throttling and auditing (honours `trustProxy` as configured on the app). */
export function clientInfo(request: FastifyRequest): { ip: string | null; userAgent: string | null } {
  const ua = request.headers['user-agent'];
  return { ip: request.ip || null, userAgent: typeof ua === 'string' ? ua : null };
}
