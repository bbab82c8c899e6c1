/**
 * Errors on `/v1` in OpenAI's shape, `{error: {message, type, code, param}}`, so SDKs raise their own
 * typed errors (`APIError` subclasses) with the right status.
 */
import type { OpenAiErrorBody } from '../../api/openai.ts';
import { AdmissionError } from '../../core/admission/errors.ts';
import { GatewayError } from '../../core/inference-gateway.ts';
import { InferenceError, MODEL_SERVER_UNAVAILABLE } from '../../inference/types.ts';
import { type ErrorFormatter, HttpError, modelNotReadyError } from '../errors.ts';

/** A 400 naming the offending parameter (OpenAI's `param`; null for the body as a whole). */
export const invalidParam = (message: string, param: string | null): HttpError =>
  new HttpError(400, 'invalid_request', message, { details: { param } });

function typeFor(err: HttpError): string {
  if (err.code === 'quota_exceeded' || err.code === 'insufficient_quota') return 'insufficient_quota';
  switch (err.status) {
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 429:
      return 'rate_limit_error';
    case 400:
    case 404:
    case 409:
    case 413:
    case 415:
      return 'invalid_request_error';
    default:
      return 'server_error';
  }
}

export const openAiErrorFormatter: ErrorFormatter = (err): OpenAiErrorBody => {
  const param = err.details?.param;
  let code: string = err.code;
  if (err.code === 'unauthenticated') code = 'invalid_api_key';
  if (err.code === 'quota_exceeded') code = 'insufficient_quota';
  return {
    error: {
      message: err.message,
      type: typeFor(err),
      code,
      param: typeof param === 'string' ? param : null,
    },
  };
};

/** Maps inference, gateway and admission failures to HTTP errors for `/v1`; others pass through. */
export function toV1HttpError(err: unknown): unknown {
  if (err instanceof GatewayError) {
    return err.code === 'unknown_model'
      ? new HttpError(404, 'model_not_found', err.message, { details: { param: 'model' } })
      : modelNotReadyError(err);
  }
  if (err instanceof InferenceError) {
    switch (err.code) {
      case 'model_not_found':
        return new HttpError(404, 'model_not_found', err.message, { details: { param: 'model' } });
      case 'model_not_ready':
        return new HttpError(503, 'model_not_ready', err.message, { retryAfterSeconds: 5 });
      case 'invalid_request':
        return new HttpError(400, 'invalid_request', err.message, {
          details: { param: /max_tokens/.test(err.message) ? 'max_tokens' : null },
        });
      case 'context_overflow':
        return new HttpError(400, 'context_length_exceeded', err.message, { details: { param: 'messages' } });
      case 'overloaded':
        return new HttpError(503, 'overloaded', err.message, { retryAfterSeconds: 5 });
      case 'upstream_error':
      case 'engine_error':
        // err.detail (host, port, cause) was logged where it happened; clients get one sentence.
        return new HttpError(502, 'upstream_error', MODEL_SERVER_UNAVAILABLE);
      default:
        return err.code satisfies never;
    }
  }
  if (err instanceof AdmissionError) {
    return new HttpError(err.status, err.code, err.message, {
      ...(err.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: err.retryAfterSeconds }),
    });
  }
  return err;
}
