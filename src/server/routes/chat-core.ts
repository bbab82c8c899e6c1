/**
 * The conversation/chat services the conversation, generation and model routes share, built once per
 * app from its context, plus the mapping of their typed errors to HTTP.
 */
import type { FastifyReply } from 'fastify';
import { AdmissionError } from '../../core/admission/errors.ts';
import { capacityAcquireHook } from '../../core/admission/gateway-hook.ts';
import {
  ChatService,
  type GenerationEventLog,
  MemoryGenerationEventLog,
  replayFromMessage,
} from '../../core/chat/index.ts';
import { ConversationError, ConversationService } from '../../core/conversations/index.ts';
import { type AcquireHook, GatewayError, InferenceGateway } from '../../core/inference-gateway.ts';
import { builtinTools } from '../../core/turns/builtin-tools.ts';
import { ToolRegistry } from '../../core/turns/tool-registry.ts';
import { TurnPipeline } from '../../core/turns/turn-pipeline.ts';
import { InferenceError, type ModelInfo } from '../../inference/types.ts';
import type { AppContext } from '../context.ts';
import { HttpError, modelNotReadyError } from '../errors.ts';
import { SseStream } from '../sse.ts';

/** Options of the chat routes, given to `buildApp` as `deps.chat`. */
export interface ChatDeps {
  /** Routes model ids to providers. Default: a gateway without providers (every turn answers 503 `model_not_ready`). */
  gateway?: InferenceGateway;
  /**
   * Admission control for the default gateway (ignored when `gateway` is given). Default: admit at once.
   * E.g. `(s, w) => controller.request({ userId: s.userId, plan: plans[s.plan], signal: w.signal,
   * onQueued: (u) => w.onQueued?.(u.position, u.etaMs) }).ticket`.
   */
  acquire?: AcquireHook;
  /** Where generation events are kept for reattaching. Default: in memory (one instance). */
  eventLog?: GenerationEventLog;
  /** Cap on generated tokens per turn. Default: the model's remaining context. */
  maxTokens?: number;
  /** Partial-output write interval. Default 500 ms. */
  persistIntervalMs?: number;
  /** Interval of `: ping` comments on SSE streams. Default 15 000 ms. */
  ssePingMs?: number;
}

declare module '../context.ts' {
  interface AppDeps {
    /** Inference and chat wiring (see `ChatDeps`). */
    chat?: ChatDeps;
  }
}

export interface ChatCore {
  gateway: InferenceGateway;
  /** The one turn pipeline of the web chat and `/v1`. */
  pipeline: TurnPipeline;
  eventLog: GenerationEventLog;
  chat: ChatService;
  conversations: ConversationService;
  ssePingMs: number | undefined;
}

const cores = new WeakMap<AppContext, ChatCore>();
/** On the stop bus: every generation of the user (account deleted). Never a generation id. */
const ALL_OF_USER = '*';
/** On the stop bus, before a generation id: "answer now" rather than stop. */
const ANSWER_NOW = 'answer-now:';

export function chatCoreFor(ctx: AppContext): ChatCore {
  const existing = cores.get(ctx);
  if (existing) return existing;
  const deps = ctx.deps.chat ?? {};
  const acquire =
    deps.acquire ??
    (ctx.capacity ? countingQuotaRefusals(ctx, capacityAcquireHook(ctx.capacity)) : undefined);
  const gateway =
    deps.gateway ??
    new InferenceGateway({
      providers: (ctx.deps.providers ?? []).map((p) => ctx.metrics.meter(p)),
      ...(ctx.deps.defaultModel === undefined ? {} : { defaultModel: ctx.deps.defaultModel }),
      extraModels: () => defaultModelInfo(ctx),
      ...(acquire ? { acquire } : {}),
    });
  const eventLog = deps.eventLog ?? new MemoryGenerationEventLog();
  const pipeline = new TurnPipeline({ gateway, plans: ctx.plans, tools: new ToolRegistry(builtinTools()) });
  const chat = new ChatService({
    store: ctx.store,
    pipeline,
    log: eventLog,
    logger: ctxLogger(ctx),
    ...(deps.maxTokens === undefined ? {} : { maxTokens: deps.maxTokens }),
    ...(deps.persistIntervalMs === undefined ? {} : { persistIntervalMs: deps.persistIntervalMs }),
  });
  const conversations = new ConversationService({ store: ctx.store, generations: chat });
  const stopBus = ctx.deps.generationStop;
  ctx.accountHooks.onUserDeleted(async (userId) => {
    await chat.cancelUser(userId);
    // Other instances cancel theirs too (`*`: every generation of the user).
    await stopBus?.publish(ALL_OF_USER, userId).catch(() => {});
  });
  // A stop may arrive at any instance; the one running the generation acts on it.
  stopBus?.subscribe((generationId, userId) => {
    if (generationId.startsWith(ANSWER_NOW)) {
      // The instance that runs it acts; elsewhere it is a no-op, and a refusal was answered by the first.
      void chat.endThinking(userId, generationId.slice(ANSWER_NOW.length)).catch(() => {});
      return;
    }
    void (generationId === ALL_OF_USER ? chat.cancelUser(userId) : chat.stop(userId, generationId));
  });
  ctx.shutdownHooks.add('chat', async ({ deadline }) => {
    // Running generations may finish within the grace period; the rest are cancelled at its end and
    // their partial output saved as `interrupted`.
    chat.closeForNewTurns();
    await chat.drain(deadline);
    await chat.shutdown(5000);
    if (!deps.eventLog) await eventLog[Symbol.asyncDispose]();
  });
  const core: ChatCore = { gateway, pipeline, eventLog, chat, conversations, ssePingMs: deps.ssePingMs };
  cores.set(ctx, core);
  return core;
}

/** Quota refusals happen before the admission controller sees the request: count them for `/metrics`. */
function countingQuotaRefusals(ctx: AppContext, acquire: AcquireHook): AcquireHook {
  return async (subject, wait) => {
    try {
      return await acquire(subject, wait);
    } catch (err) {
      if (err instanceof AdmissionError && err.code === 'quota_exceeded') ctx.metrics.countShed(err.code);
      throw err;
    }
  };
}

/** The default model as the app tracks it (e.g. while it downloads), when no provider lists it yet. */
function defaultModelInfo(ctx: AppContext): ModelInfo[] {
  const status = ctx.modelStatus();
  if (!status.model || status.state === 'ready') return [];
  const info: ModelInfo = {
    id: status.model,
    provider: 'embedded',
    state: status.state === 'missing' ? 'unavailable' : status.state,
  };
  if (status.downloadProgress !== undefined) info.downloadProgress = status.downloadProgress;
  if (status.detail !== undefined) info.detail = status.detail;
  return [info];
}

function ctxLogger(ctx: AppContext) {
  const logger = ctx.deps.logger;
  if (!logger) return undefined;
  return {
    info: (obj: object, msg?: string) => logger.info(obj, msg),
    warn: (obj: object, msg?: string) => logger.warn(obj, msg),
    error: (obj: object, msg?: string) => logger.error(obj, msg),
  };
}

/**
 * Stops a generation of this user wherever it runs: here, or (with several instances) on the one that
 * runs it. False when the id is unknown or not the user's.
 */
export async function stopGeneration(
  ctx: AppContext,
  userId: string,
  generationId: string,
): Promise<boolean> {
  const known = await chatCoreFor(ctx).chat.stop(userId, generationId);
  if (known && ctx.deps.generationStop) await ctx.deps.generationStop.publish(generationId, userId);
  return known;
}

/**
 * "Answer now" for a generation of this user wherever it runs (see `stopGeneration`). False when the id
 * is unknown or not the user's; a 409 when its model server cannot end thinking early.
 */
export async function endThinking(ctx: AppContext, userId: string, generationId: string): Promise<boolean> {
  const chat = chatCoreFor(ctx).chat;
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
  const core = chatCoreFor(ctx);
  const sse = new SseStream(reply, core.ssePingMs === undefined ? {} : { pingMs: core.ssePingMs });
  try {
    const live = await core.eventLog.read(generationId, afterId, sse.signal);
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
