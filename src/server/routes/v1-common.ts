/**
 * Plumbing every `/v1` API shares (OpenAI chat completions, Responses, Anthropic Messages, embeddings):
 * no API keys in URLs, a generation that belongs to the client's connection, and errors known before
 * generation answered with a status.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AccountUser } from '../../core/accounts/index.ts';
import type { CompleteOptions } from '../../core/completions/completion-service.ts';
import type { ChatChunk, ChatRequest } from '../../inference/types.ts';
import type { AppContext } from '../context.ts';
import { HttpError } from '../errors.ts';

/** Query parameters some clients use for keys: refused, so keys never end up in URLs and logs. */
const KEY_QUERY_PARAMS = ['api_key', 'apikey', 'key', 'access_token', 'token'];

/** Whether the request's query names an API key parameter. */
export function hasKeyInUrl(request: FastifyRequest): boolean {
  const query = request.url.includes('?') ? new URLSearchParams(request.url.split('?')[1]) : null;
  return query !== null && KEY_QUERY_PARAMS.some((k) => query.has(k));
}

/** An `onRequest` hook for every `/v1` plugin (hooks are scoped to their plugin): no keys in URLs. */
export async function refuseKeyInUrl(request: FastifyRequest): Promise<void> {
  if (!request.url.startsWith('/v1')) return;
  if (hasKeyInUrl(request)) {
    throw new HttpError(
      401,
      'unauthenticated',
      'API keys are not accepted in the URL; send them as "Authorization: Bearer <key>".',
    );
  }
}

/** Aborts when the response closes before it finished: the client left, so its work stops at once. */
export function abortWhenClientLeaves(reply: FastifyReply): AbortController {
  const controller = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller;
}

export interface StartedCompletion {
  first: IteratorResult<ChatChunk>;
  chunks: AsyncIterator<ChatChunk>;
  /** Aborts the generation (the client left, or a `stop` from the protocol). */
  controller: AbortController;
}

/**
 * Starts the caller's completion, attributed to the API key used, and waits for its first chunk: an
 * unknown model, a model not ready or a refused admission is thrown from there, mapped by `toApiError`
 * into the API's own error while a status can still be sent.
 */
export async function startCompletion(
  ctx: AppContext,
  { request, reply, user }: { request: FastifyRequest; reply: FastifyReply; user: AccountUser },
  chatRequest: ChatRequest,
  options: CompleteOptions,
  toApiError: (err: unknown) => unknown,
): Promise<StartedCompletion> {
  const apiKeyId = request.auth?.via === 'apiKey' ? request.auth.apiKey.id : null;
  const controller = abortWhenClientLeaves(reply);
  const chunks = ctx.services.completions
    .complete({ userId: user.id, plan: user.plan, apiKeyId }, chatRequest, controller.signal, options)
    [Symbol.asyncIterator]();
  try {
    return { first: await chunks.next(), chunks, controller };
  } catch (err) {
    throw toApiError(err);
  }
}
