/**
 * HTTP helpers the conversation and generation routes share over the chat services (`ctx.services`,
 * built in `../services.ts`): stopping and "answer now" across instances, reattaching to a generation's
 * stream, and the mapping of the chat use cases' typed errors to HTTP.
 */
import type { FastifyReply } from 'fastify';
import { AdmissionError } from '../../core/admission/errors.ts';
import { replayFromMessage } from '../../core/chat/index.ts';
import { ConversationError } from '../../core/conversations/index.ts';
import { GatewayError } from '../../core/inference-gateway.ts';
import { InferenceError } from '../../inference/types.ts';
import type { AppContext } from '../context.ts';
import { HttpError, modelNotReadyError } from '../errors.ts';
import { ANSWER_NOW } from '../services.ts';
import { SseStream } from '../sse.ts';

/**
 * Stops a generation of this user wherever it runs: here, or (with several instances) on the one that
 * runs it. False when the id is unknown or not the user's.
 */
export async function stopGeneration(
  ctx: AppContext,
  userId: string,
  generationId: string,
): Promise<boolean> {
  const known = await ctx.services.chat.stop(userId, generationId);
  if (known && ctx.deps.generationStop) await ctx.deps.generationStop.publish(generationId, userId);
  return known;
}

/**
 * "Answer now" for a generation of this user wherever it runs (see `stopGeneration`). False when the id
 * is unknown or not the user's; a 409 when its model server cannot end thinking early.
 */
export async function endThinking(ctx: AppContext, userId: string, generationId: string): Promise<boolean> {
  const chat = ctx.services.chat;
  const known = await withChatErrors(() => chat.endThinking(userId, generationId));
  if (known && ctx.deps.generationStop && !chat.runningIds().includes(generationId)) {
    await ctx.deps.generationStop.publish(`${ANSWER_NOW}${generationId}`, userId);
  }
  return known;
}

/** Maps the chat use cases' typed errors to HTTP; anything else is rethrown for the app's handler. */
export function toChatHttpError(err: unknown): unknown {
  if (err instanceof ConversationError) {
    switch (err.code) {
      case 'not_found':
        return new HttpError(404, 'not_found', err.message);
      case 'invalid_request':
        return new HttpError(
          400,
          'invalid_request',
          err.message,
          err.field ? { details: { field: err.field } } : {},
        );
      case 'conflict':
        return new HttpError(409, 'conflict', err.message);
      default:
        return err.code satisfies never;
    }
  }
  if (err instanceof GatewayError) {
    switch (err.code) {
      case 'model_not_ready':
        return modelNotReadyError(err);
      case 'unknown_model':
        return new HttpError(400, 'invalid_request', err.message, { details: { field: 'model' } });
      default:
        return err.code satisfies never;
    }
  }
  if (err instanceof AdmissionError) {
    const code =
      err.status === 429
        ? err.code === 'quota_exceeded'
          ? 'quota_exceeded'
          : err.code === 'concurrency_limit'
            ? 'concurrency_limit'
            : 'rate_limited'
        : 'overloaded';
    return new HttpError(err.status, code, err.message, {
      ...(err.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: err.retryAfterSeconds }),
      details: { reason: err.code, ...err.details },
    });
  }
  if (err instanceof InferenceError) {
    switch (err.code) {
      case 'model_not_found':
        return new HttpError(400, 'invalid_request', err.message, { details: { field: 'model' } });
      case 'model_not_ready':
        return new HttpError(503, 'model_not_ready', err.message, { retryAfterSeconds: 5 });
      case 'overloaded':
        return new HttpError(503, 'overloaded', err.message, { retryAfterSeconds: 5 });
      case 'context_overflow':
      case 'invalid_request':
        return new HttpError(400, 'invalid_request', err.message);
      case 'upstream_error':
      case 'engine_error':
        return new HttpError(503, 'overloaded', 'The model backend failed; try again shortly.', {
          retryAfterSeconds: 5,
        });
      default:
        return err.code satisfies never;
    }
  }
  return err;
}

/** Runs a handler body, translating chat errors. */
export async function withChatErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toChatHttpError(err);
  }
}

/**
 * Streams a generation's events after `afterId` as SSE until `done` or the client leaves. A generation
 * no longer in the event log is replayed from its saved message (starting with `meta`).
 */
export async function streamGeneration(
  ctx: AppContext,
  reply: FastifyReply,
  userId: string,
  generationId: string,
  afterId: number,
): Promise<void> {
  const pingMs = ctx.deps.chat?.ssePingMs;
  const sse = new SseStream(reply, pingMs === undefined ? {} : { pingMs });
  try {
    const live = await ctx.services.eventLog.read(generationId, afterId, sse.signal);
    if (live) {
      await sse.pipe(live);
      return;
    }
    const generation = await ctx.store.generations.get(generationId, userId);
    const message = generation ? await ctx.store.messages.get(generation.assistantMessageId, userId) : null;
    if (!generation || !message) {
      sse.end();
      return;
    }
    const status = message.status;
    const finishReason =
      message.finishReason ?? (status === 'complete' ? 'stop' : status === 'error' ? 'error' : 'cancelled');
    const error =
      status === 'error'
        ? (message.error ?? 'generation failed')
        : status === 'interrupted' || status === 'streaming'
          ? 'interrupted: the server stopped during this generation'
          : undefined;
    await sse.pipe(
      replayFromMessage({
        meta: {
          generationId,
          conversationId: generation.conversationId,
          userMessageId: message.parentId ?? '',
          assistantMessageId: message.id,
          model: generation.model,
        },
        reasoning: message.reasoning,
        text: message.content,
        ...(message.usage ? { usage: message.usage } : {}),
        finishReason,
        ...(error ? { error } : {}),
      }),
    );
  } catch (err) {
    reply.log.warn({ generationId, err: (err as Error)?.name }, 'generation stream failed');
    sse.end();
  }
}
