/**
 * The composition root of the HTTP services: `buildServices` builds, once per app and before any route
 * plugin runs, the inference gateway, the turn pipeline with Ponder's tools, the chat, conversation and
 * completion services and the generation event log, and wires them to the stop bus, the account hooks
 * and graceful shutdown. Route plugins receive the result as `ctx.services`.
 */

import { audit } from '../core/accounts/audit.ts';
import { AdmissionError } from '../core/admission/errors.ts';
import { capacityAcquireHook } from '../core/admission/gateway-hook.ts';
import { ArenaService } from '../core/arena/arena-service.ts';
import { ChatService, MemoryGenerationEventLog } from '../core/chat/index.ts';
import { CompletionService } from '../core/completions/completion-service.ts';
import { ConversationService } from '../core/conversations/index.ts';
import { DocumentService } from '../core/documents/document-service.ts';
import type { EmbedTexts } from '../core/documents/types.ts';
import { type AcquireHook, InferenceGateway } from '../core/inference-gateway.ts';
import { MemoryCounterStore } from '../core/rate-limit/memory.ts';
import { ResponseService } from '../core/responses/response-service.ts';
import { ToolLimits } from '../core/turns/tool-limits.ts';
import { TurnPipeline } from '../core/turns/turn-pipeline.ts';
import { IsolatedParser } from '../inference/documents/index.ts';
import type { ModelInfo } from '../inference/types.ts';
import { openPlaintextVectorIndex } from '../store/index.ts';
import type { AppFoundation, AppServices } from './context.ts';
import { buildOidcSignIn } from './oidc-wiring.ts';
import { buildToolRegistry } from './tools.ts';

/** On the stop bus: every generation of the user (account deleted). Never a generation id. */
export const ALL_OF_USER = '*';
/** On the stop bus, before a generation id: "answer now" rather than stop. */
export const ANSWER_NOW = 'answer-now:';

export function buildServices(ctx: AppFoundation): AppServices {
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
      // Embeddings (issue 13): their tokens go to the usage ledger, so the plan's daily quota counts them.
      ...(ctx.deps.defaultEmbeddingModel === undefined
        ? {}
        : { defaultEmbeddingModel: ctx.deps.defaultEmbeddingModel }),
      recordEmbeddingUsage: async (u) => {
        await ctx.store.usage.record({
          userId: u.userId,
          apiKeyId: u.apiKeyId,
          model: u.model,
          promptTokens: u.promptTokens,
          completionTokens: 0,
          reasoningTokens: 0,
          reasoning: false,
        });
      },
    });
  const eventLog = deps.eventLog ?? new MemoryGenerationEventLog();
  const documents = buildDocuments(ctx, gateway);
  const pipeline = new TurnPipeline({
    gateway,
    documents, // the retrieval step and `search_documents` (issue 13)
    plans: ctx.plans,
    tools: buildToolRegistry(ctx),
    // Counted in the capacity's shared counters (Redis with several instances), else in this process.
    limits: new ToolLimits({
      plans: ctx.plans,
      counters: ctx.capacity?.counters ?? new MemoryCounterStore(),
    }),
    onToolRun: ({ userId, tool, isError, ms }) =>
      void audit(ctx.store, ctx.deps.logger, 'tool_call', { userId, detail: { tool, isError, ms } }),
  });
  const chat = new ChatService({
    store: ctx.store,
    pipeline,
    log: eventLog,
    logger: ctxLogger(ctx),
    ...(deps.maxTokens === undefined ? {} : { maxTokens: deps.maxTokens }),
    ...(deps.persistIntervalMs === undefined ? {} : { persistIntervalMs: deps.persistIntervalMs }),
  });
  const conversations = new ConversationService({ store: ctx.store, generations: chat });
  const completions = new CompletionService({ pipeline, store: ctx.store });
  // The arena (issue 15): two anonymous answers per question, each a turn of the same pipeline.
  const arena = new ArenaService({
    store: ctx.store,
    pipeline,
    gateway,
    log: eventLog,
    logger: ctxLogger(ctx),
    ...(deps.maxTokens === undefined ? {} : { maxTokens: deps.maxTokens }),
    ...(deps.persistIntervalMs === undefined ? {} : { persistIntervalMs: deps.persistIntervalMs }),
    ...(ctx.deps.generationStop ? { stopBus: ctx.deps.generationStop } : {}),
  });
  ctx.accountHooks.onUserDeleted((userId) => arena.cancelUser(userId));
  // Stops and account deletions reach the instance running an arena side (several instances).
  ctx.deps.generationStop?.subscribe((id, userId) => {
    if (id === ALL_OF_USER) void arena.cancelUser(userId);
    else arena.stopLocal(id, userId);
  });
  ctx.shutdownHooks.add('arena', ({ deadline }) => arena.shutdown(deadline, 5000));
  // The Responses API (issue 14): stored responses; generation goes through `completions`.
  const responses = new ResponseService({ store: ctx.store });

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
  // Like web generations: running completions (streamed or not) may finish within the grace period;
  // then they are cut and still end properly for their protocol (finish_reason, usage, `[DONE]`) before
  // the app closes their connections.
  ctx.shutdownHooks.add('v1', async ({ deadline }) => {
    completions.closeForNewCompletions();
    await completions.drain(deadline);
    await completions.shutdown(5000);
  });
  // Single sign-on (issue 14): OIDC providers, the flow cookie and back-channel logout.
  const oidc = buildOidcSignIn(ctx);
  return { gateway, pipeline, eventLog, arena, chat, conversations, completions, responses, oidc, documents };
}

/**
 * Documents (issue 13): uploads parsed in a child process, embedded through the gateway (uploads are
 * admitted and metered as the user's; query embeddings are Ponder's own), searched over decrypted chunks.
 */
function buildDocuments(ctx: AppFoundation, gateway: InferenceGateway): DocumentService {
  const parser = new IsolatedParser();
  // The opt-in plaintext vector index (README "Documents: at-rest design"); a setup it cannot use is
  // reported at start-up, and sharing a collection then answers 503 saying why.
  const vectorIndex = ctx.config.documents?.plaintextVectorIndex
    ? openPlaintextVectorIndex({
        dataDir: ctx.config.dataDir,
        ...(ctx.config.databaseUrl ? { databaseUrl: ctx.config.databaseUrl } : {}),
      })
    : undefined;
  vectorIndex?.ready().catch((err: Error) => ctxLogger(ctx)?.error({ err: { name: err.name } }, err.message));
  const embed: EmbedTexts = async (texts, signal, subject) => {
    const result = await gateway.embed({ input: texts }, { signal, ...(subject ? { subject } : {}) });
    return { model: result.model, vectors: result.vectors };
  };
  const documents = new DocumentService({
    store: ctx.store,
    plans: ctx.plans,
    parse: (name, bytes, limits, signal) => parser.parse(name, bytes, limits, signal),
    embed,
    embeddingModel: () => gateway.defaultEmbeddingModel().catch(() => null),
    logger: ctxLogger(ctx),
    ...(vectorIndex ? { vectorIndex } : {}),
  });
  ctx.accountHooks.onUserDeleted((userId) => documents.forgetUser(userId));
  ctx.shutdownHooks.add('documents', async () => {
    await parser[Symbol.asyncDispose]();
    await vectorIndex?.close();
  });
  return documents;
}

/** Quota refusals happen before the admission controller sees the request: count them for `/metrics`. */
function countingQuotaRefusals(ctx: AppFoundation, acquire: AcquireHook): AcquireHook {
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
function defaultModelInfo(ctx: AppFoundation): ModelInfo[] {
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

function ctxLogger(ctx: AppFoundation) {
  const logger = ctx.deps.logger;
  if (!logger) return undefined;
  return {
    info: (obj: object, msg?: string) => logger.info(obj, msg),
    warn: (obj: object, msg?: string) => logger.warn(obj, msg),
    error: (obj: object, msg?: string) => logger.error(obj, msg),
  };
}
