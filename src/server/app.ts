/**
 * Builds the Fastify app (design §5–6): logging without secrets, request ids, security headers, the
 * Origin check, authentication, JSON errors, every route plugin and the static web app.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import fastifyCookie from '@fastify/cookie';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { PonderConfig } from '../config/schema.ts';
import {
  AccountHooks,
  Accounts,
  Admin,
  ApiKeys,
  MemoryRateLimiter,
  PasswordHasher,
} from '../core/accounts/index.ts';
import { quotaRecordingUsage } from '../core/admission/gateway-hook.ts';
import { PlanCatalog, QuotaService } from '../core/quotas/index.ts';
import { PowGate } from '../core/rate-limit/index.ts';
import { installAuth } from './auth/plugin.ts';
import { storeWithUsage } from './capacity.ts';
import type { AppContext, AppDeps, AppFoundation, ModelStatus } from './context.ts';
import { ErrorFormats, HttpError, notFound, sendError } from './errors.ts';
import {
  clientErrorHandler,
  drainRequestBody,
  frameworkErrorHandler,
  isBodyTooLarge,
} from './framework-errors.ts';
import { ServerMetrics } from './metrics.ts';
import { ROUTE_PLUGINS } from './routes/index.ts';
import { installSecurityHeaders, securityHeaders } from './security/headers.ts';
import { installHostCheck } from './security/host.ts';
import { createLogger, installRequestLogging, requestChildLogger, requestIdFor } from './security/logging.ts';
import { installOriginCheck } from './security/origin.ts';
import { buildServices } from './services.ts';
import { ShutdownHooks } from './shutdown.ts';
import { installWebApp } from './web-static.ts';

export type { AppContext, AppDeps, AppServices, ChatDeps, ModelStatus } from './context.ts';

/** A registered route as seen by `onRoute` (the route walker in tests uses these). */
export interface RegisteredRoute {
  method: string;
  url: string;
  public: boolean;
  admin: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The context every route plugin received. */
    ponder: AppContext;
    /** Every route registered, in order (HEAD routes Fastify adds for GET are left out). */
    ponderRoutes: RegisteredRoute[];
  }
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024;
const DEFAULT_WEB_DIR = resolve(import.meta.dirname, '../../dist/web');

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const logger = deps.logger ?? createLogger({ level: config.logLevel });
  const capacity = deps.capacity ?? null;
  // With capacity, every ledger row (web turn or /v1) also bumps the shared quota counters.
  const store = capacity
    ? storeWithUsage(
        deps.store,
        quotaRecordingUsage(deps.store.usage, capacity.quotas, (err) =>
          logger.warn({ err: (err as Error)?.name }, 'quota counter update failed'),
        ),
      )
    : deps.store;
  const metrics = deps.metrics ?? new ServerMetrics();
  const pools = deps.upstreamPools ?? [];
  metrics.attach({
    ...(capacity ? { admission: () => capacity.admission.stats() } : {}),
    upstreams: () => pools.flatMap((p) => p.members()),
  });
  const errorFormats = new ErrorFormats();
  const edgeHeaders = securityHeaders({ hsts: config.secureCookies });
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Only these peers may name the client in X-Forwarded-For (request.ip); others are the client.
    trustProxy: trustProxyOption(config.trustProxy),
    childLoggerFactory: requestChildLogger,
    frameworkErrors: frameworkErrorHandler(errorFormats, edgeHeaders),
    clientErrorHandler: clientErrorHandler(edgeHeaders),
    // Our own one-line-per-response log (security/logging.ts) replaces Fastify's, which logs full URLs.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    bodyLimit: deps.bodyLimit ?? DEFAULT_BODY_LIMIT,
    genReqId: requestIdFor,
    forceCloseConnections: true,
    return503OnClosing: true,
  });

  const hooks = deps.accountHooks ?? new AccountHooks();
  const plans = Object.keys(config.plans);
  const powGate =
    deps.powGate === undefined ? (capacity?.pow ?? new PowGate({ secret: randomBytes(32) })) : deps.powGate;
  const accounts = new Accounts({
    store,
    hasher: deps.passwordHasher ?? new PasswordHasher(),
    limiter: deps.rateLimiter ?? new MemoryRateLimiter(),
    // With the sign-up gate off, Accounts asks proof of work of logins past the ceiling on its own gate.
    ...(powGate ? { loginPow: powGate } : {}),
    ...(deps.loginThrottle ? { loginThrottle: deps.loginThrottle } : {}),
    ...(deps.deviceSecret ? { deviceSecret: deps.deviceSecret } : {}),
    hooks,
    signupMode: config.signupMode,
    ...(deps.setupCode ? { setupCode: deps.setupCode } : {}),
    defaultPlan: config.defaultPlan,
    plans,
    logger,
    ...(deps.throttle ? { throttle: deps.throttle } : {}),
  });
  const missing: ModelStatus = { state: 'missing' };
  const foundation: AppFoundation = {
    deps,
    config,
    store,
    accounts,
    apiKeys: new ApiKeys(store, logger),
    admin: new Admin({ store, accounts, plans, logger }),
    accountHooks: hooks,
    shutdownHooks: deps.shutdownHooks ?? new ShutdownHooks(),
    errorFormats,
    modelStatus: deps.modelStatus ?? (() => missing),
    powGate,
    capacity,
    plans: capacity?.plans ?? new PlanCatalog(config.plans, config.defaultPlan),
    quotas: capacity?.quotas ?? new QuotaService({ usage: store.usage }),
    metrics,
    startedAt: new Date(),
    lifecycle: { draining: false },
  };
  // The composition root of the chat, conversation and completion services: built once, here.
  const ctx: AppContext = { ...foundation, services: buildServices(foundation) };
  app.decorate('ponder', ctx);
  app.decorate('ponderRoutes', [] as RegisteredRoute[]);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const config = (route.config ?? {}) as { public?: boolean; admin?: boolean };
    for (const method of methods) {
      if (method === 'HEAD') continue;
      app.ponderRoutes.push({
        method,
        url: route.url,
        public: config.public === true,
        admin: config.admin === true,
      });
    }
  });

  await app.register(fastifyCookie);
  installRequestLogging(app);
  installSecurityHeaders(app, { hsts: config.secureCookies });
  installHostCheck(app, {
    bindHost: config.host,
    publicUrl: config.publicUrl,
    allowedHosts: config.allowedHosts,
  });
  installOriginCheck(app, { secureCookies: config.secureCookies });
  app.addHook('onRequest', async (request) => {
    if (ctx.lifecycle.draining && request.method !== 'GET' && request.method !== 'HEAD') {
      throw new HttpError(503, 'overloaded', 'The server is shutting down; retry in a moment.', {
        retryAfterSeconds: 5,
      });
    }
  });
  installAuth(app, { accounts, apiKeys: ctx.apiKeys });

  app.setErrorHandler(async (error, request, reply) => {
    if (isBodyTooLarge(error)) await drainRequestBody(request.raw);
    return sendError(errorFormats, request, reply, error);
  });
  for (const plugin of ROUTE_PLUGINS) {
    await app.register(async (child) => plugin(child, ctx));
  }
  const spaFallback = await installWebApp(app, deps.webDir ?? DEFAULT_WEB_DIR);
  app.setNotFoundHandler((request, reply) => {
    const served = spaFallback?.(request, reply);
    if (served) return served;
    return sendError(errorFormats, request, reply, notFound('No such route.'));
  });
  return app;
}

/**
 * Fastify's `trustProxy` from the config: CIDRs / addresses as given; a hop count as proxy-addr's
 * "trust the first N hops from the socket" (Fastify accepts a number at run time, its types do not).
 */
function trustProxyOption(
  value: PonderConfig['trustProxy'],
): boolean | string | string[] | ((address: string, hop: number) => boolean) {
  return typeof value === 'number' ? (_address, hop) => hop < value : value;
}
