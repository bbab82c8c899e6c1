/**
 * Errors the HTTP layer answers with, and the error handler that turns anything thrown into the
 * documented JSON shape — never a stack. The body shape is chosen per path prefix, so `/v1` can answer
 * in OpenAI's shape while `/api` keeps `{error:{code,message}}` (docs/web-api.md).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiErrorBody } from '../api/errors.ts';
import { AccountError, type AccountErrorCode } from '../core/accounts/index.ts';
import type { GatewayError } from '../core/inference-gateway.ts';
import { StoreError } from '../store/errors.ts';

export interface HttpErrorOptions {
  /** Sent as `Retry-After` and `retryAfterSeconds`. */
  retryAfterSeconds?: number;
  details?: Record<string, unknown>;
  cause?: unknown;
}

/** An error with a status and a stable code; its message is shown to the client as is. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly retryAfterSeconds: number | undefined;
  readonly details: Record<string, unknown> | undefined;
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options: HttpErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.details = options.details;
  }
}

/**
 * 503 `model_not_ready` with the model's state in `details.state` (`missing`, `unavailable`, `loading`,
 * `downloading`), so the web app can word it; Retry-After only when waiting can help (loading, downloading).
 */
export function modelNotReadyError(err: GatewayError): HttpError {
  return new HttpError(503, 'model_not_ready', err.message, {
    ...(err.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: err.retryAfterSeconds }),
    ...(err.state ? { details: { state: err.state } } : {}),
  });
}

export const notFound = (what = 'Not found.'): HttpError => new HttpError(404, 'not_found', what);
export const unauthenticated = (): HttpError =>
  new HttpError(401, 'unauthenticated', 'Please log in to continue.');

const ACCOUNT_STATUS: Record<AccountErrorCode, number> = {
  invalid_request: 400,
  weak_password: 400,
  email_taken: 409,
  signup_closed: 403,
  invalid_credentials: 401,
  unauthenticated: 401,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  pow_required: 428,
  overloaded: 503,
};

/** Maps anything thrown by a route, a hook or Fastify itself to an `HttpError`. Unknown errors become 500. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof AccountError) {
    const { field, retryAfterSeconds, details } = err.options;
    return new HttpError(ACCOUNT_STATUS[err.code], err.code, err.message, {
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
      ...(field || details ? { details: { ...details, ...(field ? { field } : {}) } } : {}),
    });
  }
  if (err instanceof StoreError) {
    switch (err.code) {
      case 'validation':
        return new HttpError(400, 'invalid_request', err.message, {
          details: err.field ? { field: err.field } : {},
        });
      case 'not_found':
        return notFound();
      case 'conflict':
        return new HttpError(409, 'conflict', 'This conflicts with existing data.');
      case 'invalid_invite':
        return new HttpError(403, 'signup_closed', 'The invite code is invalid, used or expired.');
      case 'decrypt_failed':
      case 'master_key':
      case 'database':
        return internal(err);
      default:
        return internal(err);
    }
  }
  const fe = err as Partial<FastifyError> & { type?: string };
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpError(413, 'payload_too_large', 'The request body is too large.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpError(415, 'unsupported_media_type', 'Send the body as application/json.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HttpError(400, 'invalid_request', 'The JSON body is empty.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new HttpError(400, 'invalid_request', 'The Content-Length header is wrong.');
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_ASYNC_CONSTRAINT':
      return new HttpError(400, 'invalid_request', 'The URL is malformed.');
    default:
      break;
  }
  if (fe.statusCode === 400 && (err instanceof SyntaxError || fe.name === 'SyntaxError')) {
    return new HttpError(400, 'invalid_request', 'The body is not valid JSON.');
  }
  if (fe.statusCode === 413) return new HttpError(413, 'payload_too_large', 'The request body is too large.');
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // Fastify's own client errors (bad JSON, proto poisoning, bad headers): their messages are safe.
    return new HttpError(
      fe.statusCode,
      fe.statusCode === 404 ? 'not_found' : 'invalid_request',
      'Bad request.',
    );
  }
  return internal(err);
}

function internal(cause: unknown): HttpError {
  return new HttpError(500, 'internal', 'Something went wrong on our side.', { cause });
}

/** Renders an `HttpError` for one URL space. */
export type ErrorFormatter = (err: HttpError, request: FastifyRequest) => unknown;

export const webErrorFormatter: ErrorFormatter = (err) => {
  const body: ApiErrorBody = { error: { code: err.code, message: err.message } };
  if (err.retryAfterSeconds !== undefined) body.error.retryAfterSeconds = err.retryAfterSeconds;
  if (err.details && Object.keys(err.details).length > 0) body.error.details = err.details;
  return body;
};

/** Formatters by path prefix; the longest matching prefix wins, `webErrorFormatter` otherwise. */
export class ErrorFormats {
  readonly #byPrefix: Array<{ prefix: string; format: ErrorFormatter }> = [];

  /** E.g. `add('/v1', openAiErrorFormatter)`. */
  add(prefix: string, format: ErrorFormatter): void {
    this.#byPrefix.push({ prefix, format });
    this.#byPrefix.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  for(url: string): ErrorFormatter {
    for (const { prefix, format } of this.#byPrefix) {
      if (url === prefix || url.startsWith(`${prefix}/`) || url.startsWith(`${prefix}?`)) return format;
    }
    return webErrorFormatter;
  }
}

/** Sends `err` with its status, `Retry-After` when set, in the shape for the request's path. */
export function sendError(
  formats: ErrorFormats,
  request: FastifyRequest,
  reply: FastifyReply,
  thrown: unknown,
): FastifyReply {
  const err = toHttpError(thrown);
  if (err.status >= 500) {
    const cause = (err.cause ?? err) as Partial<Error> & { code?: unknown };
    // Only the error's type, code and stack frames: messages can quote user input or SQL values.
    const frames = (cause.stack ?? '')
      .split('\n')
      .filter((line) => line.startsWith('    at '))
      .slice(0, 12)
      .map((line) => line.trim());
    request.log.error(
      { err: { type: cause.name ?? 'Error', code: cause.code, frames }, status: err.status },
      'request failed',
    );
  }
  if (err.retryAfterSeconds !== undefined) reply.header('retry-after', String(err.retryAfterSeconds));
  // A daily quota's Retry-After points at midnight; OpenAI's SDKs would sleep that long before retrying.
  // `x-should-retry: false` makes them raise at once (short rate limits keep plain Retry-After).
  // The same for a model that is not there: retrying cannot help until an admin adds one.
  const permanent =
    err.code === 'quota_exceeded' ||
    err.code === 'insufficient_quota' ||
    (err.code === 'model_not_ready' && err.retryAfterSeconds === undefined);
  if (permanent) reply.header('x-should-retry', 'false');
  return reply
    .code(err.status)
    .type('application/json; charset=utf-8')
    .send(formats.for(request.url)(err, request));
}

/** Installs the error and not-found handlers on the root instance. */
export function installErrorHandlers(app: FastifyInstance, formats: ErrorFormats): void {
  app.setErrorHandler((error, request, reply) => sendError(formats, request, reply, error));
  app.setNotFoundHandler((request, reply) => sendError(formats, request, reply, notFound('No such route.')));
}
