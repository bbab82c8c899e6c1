import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  type ApiSetupInfo,
  changePasswordRequestSchema,
  deleteAccountRequestSchema,
  loginRequestSchema,
  patchMeRequestSchema,
  signupRequestSchema,
} from '../../api/auth.ts';
import { clearSessionCookie, DEVICE_COOKIE, setDeviceCookie, setSessionCookie } from '../auth/cookie.ts';
import { clientInfo, requireSession, requireUser } from '../auth/plugin.ts';
import type { AppContext } from '../context.ts';
import { HttpError, notFound } from '../errors.ts';
import { parseWith } from '../validation.ts';
import { refuseWhenPasswordsOff } from './oidc.ts';
import { sessionView, userView } from './views.ts';

const idParams = z.object({ id: z.string().min(1).max(100) });

/** `/api/auth/*` (docs/web-api.md § Auth). */
export async function authRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const secure = ctx.config.secureCookies;
  const publicRoute = { config: { public: true } };

  app.post('/api/auth/signup', publicRoute, async (request, reply) => {
    refuseWhenPasswordsOff(ctx); // single sign-on (issue 14): local passwords may be off
    const body = parseWith(signupRequestSchema, request.body);
    await checkProofOfWork(ctx, body.pow);
    const login = await ctx.accounts.signup(
      { email: body.email, password: body.password, inviteCode: body.inviteCode, setupCode: body.setupCode },
      clientInfo(request),
    );
    setSessionCookie(reply, login.token, secure);
    return reply.code(201).send({ user: userView(login.user) });
  });

  app.post('/api/auth/login', publicRoute, async (request, reply) => {
    refuseWhenPasswordsOff(ctx); // single sign-on (issue 14): local passwords may be off
    const { pow, ...credentials } = parseWith(loginRequestSchema, request.body);
    const login = await ctx.accounts.login(credentials, {
      ...clientInfo(request),
      deviceToken: request.cookies[DEVICE_COOKIE],
      pow,
    });
    setSessionCookie(reply, login.token, secure);
    setDeviceCookie(reply, login.deviceToken, secure);
    return { user: userView(login.user) };
  });

  // Public so that logging out with an expired session still clears the cookie.
  app.post('/api/auth/logout', publicRoute, async (request, reply) => {
    if (request.auth?.via === 'session') await ctx.accounts.logout(request.auth.session, clientInfo(request));
    clearSessionCookie(reply, secure);
    return reply.code(204).send();
  });

  app.get('/api/auth/me', async (request) => ({ user: userView(requireUser(request)) }));

  app.patch('/api/auth/me', async (request) => {
    const user = requireUser(request);
    const body = parseWith(patchMeRequestSchema, request.body);
    return { user: userView(await ctx.accounts.updateProfile(user.id, body)) };
  });

  app.get('/api/auth/sessions', async (request) => {
    const user = requireUser(request);
    const current = request.auth?.via === 'session' ? request.auth.session.id : undefined;
    const sessions = await ctx.accounts.sessions.list(user.id);
    return { sessions: sessions.map((s) => sessionView(s, current)) };
  });

  app.delete('/api/auth/sessions/:id', async (request, reply) => {
    const user = requireUser(request);
    const { id } = parseWith(idParams, request.params, 'id');
    if (!(await ctx.accounts.revokeSession(user.id, id, clientInfo(request))))
      throw notFound('No such session.');
    if (request.auth?.via === 'session' && request.auth.session.id === id) clearSessionCookie(reply, secure);
    return reply.code(204).send();
  });

  app.post('/api/auth/password', async (request, reply) => {
    refuseWhenPasswordsOff(ctx); // single sign-on (issue 14): local passwords may be off
    const user = requireUser(request);
    const session = requireSession(request);
    const body = parseWith(changePasswordRequestSchema, request.body);
    await ctx.accounts.changePassword(user.id, body, session.id, clientInfo(request));
    return reply.code(204).send();
  });

  app.delete('/api/auth/account', async (request, reply) => {
    const user = requireUser(request);
    const body = parseWith(deleteAccountRequestSchema, request.body);
    const session = request.auth?.via === 'session' ? request.auth.session : undefined;
    await ctx.accounts.deleteAccount(user.id, body.password, clientInfo(request), session);
    clearSessionCookie(reply, secure);
    return reply.code(204).send();
  });

  // Tells the sign-up page which fields to show: the setup code (only before the first account exists),
  // the invite code (only when sign-up needs one).
  app.get('/api/auth/setup', publicRoute, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    const info: ApiSetupInfo = {
      setupRequired: await ctx.accounts.setupRequired(),
      signupMode: ctx.config.signupMode,
    };
    return info;
  });

  app.get('/api/auth/pow', publicRoute, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    const challenge = await ctx.powGate?.challenge();
    return challenge
      ? { required: true, challenge: challenge.challenge, difficulty: challenge.difficulty }
      : { required: false };
  });
}

/**
 * Under a sign-up flood the gate asks for a solved hashcash challenge (428 `pow_required`, a fresh
 * challenge in `details`); otherwise sign-up goes straight through.
 */
async function checkProofOfWork(
  ctx: AppContext,
  pow: { challenge: string; nonce: string } | undefined,
): Promise<void> {
  const gate = ctx.powGate;
  if (!gate) return;
  await gate.recordSignup();
  if (!(await gate.isRequired())) return;
  let problem = 'Sign-ups are busy right now: solve the proof-of-work challenge and retry.';
  if (pow) {
    const result = await gate.verify(pow.challenge, pow.nonce);
    if (result.ok) return;
    problem = `The proof of work was not accepted (${result.reason}); solve the new challenge and retry.`;
  }
  const { challenge, difficulty } = gate.issue();
  throw new HttpError(428, 'pow_required', problem, { details: { challenge, difficulty } });
}
