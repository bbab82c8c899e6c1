/**
 * `GET /api/usage` (the user's daily meter) and the Prometheus metrics:
 * - `GET /metrics` answers only on loopback (a scraper or sidecar on the same host): the socket's peer
 *   is 127.0.0.1 / ::1 and the request carries no `X-Forwarded-For` / `Forwarded` header (a reverse proxy
 *   on the same host would otherwise make every visitor look local), or with
 *   `Authorization: Bearer <metricsToken>` when `metricsToken` is configured (Prometheus on another
 *   host or pod). Anyone else gets 404.
 * - `GET /api/admin/metrics` is the same text for admins from anywhere (session cookie).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requireAdmin, requireUser } from '../auth/plugin.ts';
import type { AppContext } from '../context.ts';
import { notFound } from '../errors.ts';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export function isLoopbackRequest(request: FastifyRequest): boolean {
  const peer = request.raw.socket.remoteAddress ?? '';
  const h = request.headers;
  return LOOPBACK.has(peer) && h['x-forwarded-for'] === undefined && h.forwarded === undefined;
}

/** Constant-time check of `Authorization: Bearer <token>`. */
function hasMetricsToken(request: FastifyRequest, token: string | undefined): boolean {
  const header = request.headers.authorization;
  if (!token || typeof header !== 'string' || !header.startsWith('Bearer ')) return false;
  const digest = (v: string) => createHash('sha256').update(v).digest();
  return timingSafeEqual(digest(header.slice(7).trim()), digest(token));
}

export async function capacityRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get('/api/usage', async (request, reply) => {
    const user = requireUser(request);
    reply.header('cache-control', 'no-store');
    return ctx.quotas.usage(user.id, ctx.plans.resolve(user.plan));
  });

  const sendMetrics = async (reply: FastifyReply) => {
    const { contentType, body } = await ctx.metrics.expose();
    return reply.header('cache-control', 'no-store').type(contentType).send(body);
  };

  app.get('/metrics', { config: { public: true } }, async (request, reply) => {
    if (!isLoopbackRequest(request) && !hasMetricsToken(request, ctx.config.metricsToken)) {
      throw notFound('No such route.');
    }
    return sendMetrics(reply);
  });

  app.get('/api/admin/metrics', { config: { admin: true } }, async (request, reply) => {
    requireAdmin(request);
    return sendMetrics(reply);
  });
}
