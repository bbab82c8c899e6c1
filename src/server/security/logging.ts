import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/** Never logged even if some code puts a request or its headers in a log object. */
export const REDACT_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'password',
  'currentPassword',
  'newPassword',
  'token',
  'key',
  'body',
];

export function createLogger(options: { level: LoggerOptions['level']; stream?: DestinationStream }): Logger {
  const opts: LoggerOptions = {
    level: options.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { app: 'ponder' },
  };
  return options.stream ? pino(opts, options.stream) : pino(opts);
}

/**
 * The path, with query values removed: queries can hold search terms (`?q=`), which are user text.
 * `?q=secret&limit=5` becomes `?q=…&limit=…`.
 */
export function loggableUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const keys = url
    .slice(q + 1)
    .split('&')
    .filter((part) => part !== '')
    .map((part) => `${part.split('=')[0]?.slice(0, 40) ?? ''}=…`);
  return `${url.slice(0, q)}?${keys.join('&')}`;
}

const REQUEST_ID_RE = /^[A-Za-z0-9._-]{1,128}$/;

/** A client-given `x-request-id` when it is sane, else a fresh UUID. */
export function requestIdFor(request: { headers: Record<string, string | string[] | undefined> }): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID_RE.test(given) ? given : randomUUID();
}

/** One log line per response: method, path without query values, status, duration. Never headers or bodies. */
export function installRequestLogging(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request: FastifyRequest, reply) => {
    request.log.info(
      {
        method: request.method,
        url: loggableUrl(request.url),
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 10) / 10,
        userId: request.auth?.user.id,
      },
      'request',
    );
  });
}
