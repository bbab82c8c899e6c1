/**
 * Errors on the Anthropic surface in Anthropic's shape, `{type: 'error', error: {type, message}}`, with
 * Anthropic's statuses, so its SDKs raise their own typed errors and retry what they should (429, 529
 * with `retry-after`; `x-should-retry: false` on a daily quota, set by `sendError`).
 */
import type { FastifyRequest } from 'fastify';
import type { AnthropicErrorBody, AnthropicErrorType } from '../../api/anthropic.ts';
import { type ErrorFormatter, HttpError, toHttpError } from '../errors.ts';
import { toV1HttpError } from '../openai/errors.ts';

/** Anthropic's status for "overloaded": the system is full or shutting down, retry later. */
export const OVERLOADED_STATUS = 529;

function typeFor(err: HttpError): AnthropicErrorType {
  switch (err.status) {
    case 400:
    case 409:
    case 415:
    case 422:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 503:
    case OVERLOADED_STATUS:
      return 'overloaded_error';
    default:
      return 'api_error';
  }
}

export const anthropicErrorFormatter: ErrorFormatter = (
  err,
  request: FastifyRequest,
): AnthropicErrorBody => ({
  type: 'error',
  error: { type: typeFor(err), message: err.message },
  request_id: request.id,
});

/**
 * Maps inference, gateway and admission failures as `/v1` does, with Anthropic's `529` for a full or
 * closing server (a model still loading stays `503`: it is not overload).
 */
export function toAnthropicHttpError(thrown: unknown): HttpError {
  const err = toHttpError(toV1HttpError(thrown));
  // Anthropic's wording, which clients such as Claude Code read to compact the conversation and retry.
  if (err.code === 'context_length_exceeded')
    return new HttpError(400, err.code, `prompt is too long: ${err.message}`);
  if (err.status !== 503 || err.code === 'model_not_ready') return err;
  return new HttpError(OVERLOADED_STATUS, 'overloaded', err.message, {
    ...(err.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: err.retryAfterSeconds }),
  });
}

/** The body of an `error` event in a stream whose headers are already sent. */
export function errorEvent(err: HttpError, request: FastifyRequest): { type: 'error' } & AnthropicErrorBody {
  return anthropicErrorFormatter(err, request) as AnthropicErrorBody;
}
