/**
 * Single sign-on routes (issue 14), all public:
 * - `GET  /api/auth/oidc/providers`: what the login page offers ("Sign in with …", passwords on/off);
 * - `GET  /api/auth/oidc/:provider/start`: seals state, nonce and the PKCE verifier in a short-lived
 *   cookie and redirects to the provider;
 * - `GET  /api/auth/oidc/:provider/callback`: checks it all (openid-client), signs in and redirects to
 *   the page the sign-in started from, or back to `/login?sso_error=<code>` saying why not;
 * - `POST /api/auth/oidc/:provider/backchannel-logout`: the provider ends sessions (OIDC Back-Channel
 *   Logout 1.0: a signed logout token, form-encoded).
 * Login CSRF: the callback only signs in with the flow cookie this browser got at `start` (state bound
 * to it); the cookie is SameSite=Lax, scoped to these routes, and cleared by the callback.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ApiOidcProviders } from '../../api/oidc.ts';
import { OidcError } from '../../core/accounts/oidc-errors.ts';
import { OIDC_FLOW_TTL_MS } from '../../core/accounts/oidc-state.ts';
import { setSessionCookie } from '../auth/cookie.ts';
import { clientInfo } from '../auth/plugin.ts';
import type { AppContext } from '../context.ts';
import { HttpError, notFound } from '../errors.ts';
import { parseWith } from '../validation.ts';

const FLOW_COOKIE = 'ponder_oidc';
const FLOW_PATH = '/api/auth/oidc';
/** A logout token is a JWT of a few hundred bytes; nothing else is posted here. */
const LOGOUT_BODY_LIMIT = 16 * 1024;

const providerParams = z.object({ provider: z.string().min(1).max(64) });
const startQuery = z.strictObject({ returnTo: z.string().max(1000).optional() });
/**
 * What a provider sends back (RFC 6749 §4.1.2, RFC 9207 `iss`, OIDC `session_state`), bounded. Other
 * parameters are not refused: RFC 6749 says a client must ignore unrecognised response parameters,
 * and providers add their own (Google: `scope`, `authuser`, `hd`, `prompt`).
 */
const callbackQuery = z.object({
  code: z.string().max(4096).optional(),
  state: z.string().max(1024).optional(),
  iss: z.string().max(2048).optional(),
  session_state: z.string().max(1024).optional(),
  error: z.string().max(256).optional(),
  error_description: z.string().max(2048).optional(),
  error_uri: z.string().max(2048).optional(),
});
const logoutBody = z.object({ logout_token: z.string().min(1).max(LOGOUT_BODY_LIMIT) });

export async function oidcRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const oidc = ctx.services.oidc;
  const secure = ctx.config.secureCookies;
  const publicRoute = { config: { public: true } };
  // Back-channel logout requests are form-encoded (this plugin's scope only).
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: LOGOUT_BODY_LIMIT },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  const providerOf = (request: FastifyRequest): string => {
    const { provider } = parseWith(providerParams, request.params, 'provider');
    if (!oidc.has(provider)) throw notFound('No such sign-in provider.');
    return provider;
  };

  app.get('/api/auth/oidc/providers', publicRoute, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    const info: ApiOidcProviders = { providers: oidc.providers, localPasswords: oidc.localPasswords };
    return info;
  });

  app.get('/api/auth/oidc/:provider/start', publicRoute, async (request, reply) => {
    const provider = providerOf(request);
    const { returnTo } = parseWith(startQuery, request.query, 'query');
    reply.header('cache-control', 'no-store');
    try {
      const { url, flowCookie } = await oidc.start(provider, {
        redirectUri: redirectUri(ctx, request, provider),
        returnTo,
      });
      reply.setCookie(FLOW_COOKIE, flowCookie, {
        httpOnly: true,
        sameSite: 'lax',
        secure,
        path: FLOW_PATH,
        maxAge: Math.floor(OIDC_FLOW_TTL_MS / 1000),
      });
      return reply.redirect(url.href, 303);
    } catch (err) {
      return backToLogin(reply, err);
    }
  });

  app.get('/api/auth/oidc/:provider/callback', publicRoute, async (request, reply) => {
    const provider = providerOf(request);
    parseWith(callbackQuery, request.query, 'query');
    reply.header('cache-control', 'no-store');
    // One use: whatever happens, the flow is over.
    reply.clearCookie(FLOW_COOKIE, { httpOnly: true, sameSite: 'lax', secure, path: FLOW_PATH });
    try {
      const login = await oidc.finish(provider, {
        callbackUrl: new URL(request.url, origin(ctx, request)),
        redirectUri: redirectUri(ctx, request, provider),
        flowCookie: request.cookies[FLOW_COOKIE],
        client: clientInfo(request),
      });
      setSessionCookie(reply, login.token, secure);
      return reply.redirect(login.returnTo, 303);
    } catch (err) {
      return backToLogin(reply, err);
    }
  });

  app.post('/api/auth/oidc/:provider/backchannel-logout', publicRoute, async (request, reply) => {
    const provider = providerOf(request);
    reply.header('cache-control', 'no-store');
    const body = logoutBody.safeParse(request.body ?? {});
    if (!body.success) {
      return reply
        .code(400)
        .send({ error: 'invalid_request', error_description: 'logout_token is required.' });
    }
    try {
      await oidc.backchannelLogout(provider, body.data.logout_token, clientInfo(request).ip);
      return reply.code(200).send();
    } catch (err) {
      if (!(err instanceof OidcError)) throw err;
      if (err.code === 'oidc_unavailable') {
        throw new HttpError(503, 'oidc_unavailable', err.message, { retryAfterSeconds: 30 });
      }
      request.log.warn({ provider, code: err.code, detail: err.detail }, 'back-channel logout refused');
      return reply.code(400).send({ error: 'invalid_request', error_description: err.message });
    }
  });
}

/** The login page with the reason; anything but an `OidcError` is the server's problem. */
function backToLogin(reply: FastifyReply, err: unknown): FastifyReply {
  if (!(err instanceof OidcError)) throw err;
  return reply.redirect(`/login?sso_error=${encodeURIComponent(err.code)}`, 303);
}

/** Where users reach Ponder: `publicUrl`, else this request's scheme and (checked) Host. */
function origin(ctx: AppContext, request: FastifyRequest): string {
  if (ctx.config.publicUrl) return new URL(ctx.config.publicUrl).origin;
  return `${request.protocol}://${request.host}`;
}

function redirectUri(ctx: AppContext, request: FastifyRequest, provider: string): string {
  return `${origin(ctx, request)}/api/auth/oidc/${encodeURIComponent(provider)}/callback`;
}

/**
 * With `oidc.localPasswords: false`, password sign-up, login and change answer 403 (the break-glass is
 * `PONDER_OIDC_LOCAL_PASSWORDS=true` for one start; `ponder user create` works regardless).
 */
export function refuseWhenPasswordsOff(ctx: AppContext): void {
  if (ctx.config.oidc.localPasswords) return;
  throw new HttpError(
    403,
    'passwords_disabled',
    'Passwords are turned off on this server: sign in with your identity provider instead.',
  );
}
