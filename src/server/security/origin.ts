import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from '../errors.ts';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** True when `origin` names the server the request was sent to (same host and port). */
export function isOwnOrigin(origin: string, request: FastifyRequest, secureOnly: boolean): boolean {
  const host = request.headers.host;
  if (!host) return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' && (secureOnly || url.protocol !== 'http:')) return false;
  return url.host.toLowerCase() === host.toLowerCase();
}

/**
 * CSRF defence for cookie sessions: a state-changing request that carries a cookie must carry an
 * `Origin` equal to our own. A foreign or `null` Origin is refused even without a cookie (login CSRF),
 * except on `/v1`, where callers authenticate by API key and browsers of other sites may call us.
 */
export function installOriginCheck(app: FastifyInstance, options: { secureCookies: boolean }): void {
  app.addHook('onRequest', async (request) => {
    if (!STATE_CHANGING.has(request.method)) return;
    const origin = request.headers.origin;
    const hasCookie = typeof request.headers.cookie === 'string' && request.headers.cookie.trim() !== '';
    const isV1 = request.url === '/v1' || request.url.startsWith('/v1/');
    if (!hasCookie && (isV1 || origin === undefined)) return;
    if (origin !== undefined && isOwnOrigin(origin, request, options.secureCookies)) return;
    throw new HttpError(
      403,
      'forbidden_origin',
      'This request did not come from this site (Origin header missing or foreign).',
    );
  });
}
