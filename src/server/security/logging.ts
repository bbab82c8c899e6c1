import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import pino, {
  type Bindings,
  type ChildLoggerOptions,
  type DestinationStream,
  type Logger,
  type LoggerOptions,
} from 'pino';

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

/**
 * Always our own UUID: a client-chosen id could collide with or impersonate another request's id in
 * the logs. The client's `x-request-id` is logged beside it as `clientRequestId` (see below).
 */
export function requestIdFor(): string {
  return randomUUID();
}

/** A client-sent `x-request-id` when it is sane (safe to log), else undefined. */
export function clientRequestIdOf(
  headers: Record<string, string | string[] | undefined>,
): string | undefined {
  const given = headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID_RE.test(given) ? given : undefined;
}

/** Fastify's `childLoggerFactory`: every log line of a request carries the client's id as its own field. */
export function requestChildLogger(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
  raw: { headers: Record<string, string | string[] | undefined> },
): FastifyBaseLogger {
  const clientRequestId = clientRequestIdOf(raw.headers);
  return logger.child(clientRequestId ? { ...bindings, clientRequestId } : bindings, options);
}

/**
 * One log line per response: method, path without query values, status, duration. Never headers or bodies.
 * At debug, except 5xx at warn: at info, every page load and poll would flood the terminal and the logs.
 * Health probes stay at debug whatever they answer: a 503 from `/readyz` is its report, not a failure.
 */
export function installRequestLogging(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request: FastifyRequest, reply) => {
    const probe = request.routeOptions.url === '/readyz' || request.routeOptions.url === '/healthz';
    request.log[reply.statusCode >= 500 && !probe ? 'warn' : 'debug'](
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
