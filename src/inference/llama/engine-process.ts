/**
 * Entry of the engine child process (design §4): forked by `embedded-provider.ts` with
 * `UV_THREADPOOL_SIZE=1`, it owns llama.cpp, the models and their slots, and talks to the parent only
 * through the messages in `ipc-protocol.ts`. Nothing runs on import except wiring `process` listeners,
 * which is the point of this file; it is never imported by other modules.
 */
import { getLlama, type Llama, LlamaLogLevel } from 'node-llama-cpp';
import { type ChatChunk, type ChatRequest, InferenceError, type ModelInfo } from '../types.ts';
import { BatchStats } from './batch-stats.ts';
import { EmbeddingEngine } from './embedding-engine.ts';
import { asEmbeddingModel, embeddingTraits } from './embedding-traits.ts';
import { generate } from './generation.ts';
import type { ChildMessage, EngineConfig, EngineStats, ParentMessage, WireError } from './ipc-protocol.ts';
import { patchJsonGrammar } from './json-grammar-patches.ts';
import { ModelRegistry, type Slot } from './model-registry.ts';
import { prepareRequest, validateRequest } from './prepare-request.ts';

interface Running {
  abort: AbortController;
  /** Aborted by "answer now": the generation closes its reasoning and answers. */
  endThinking: AbortController;
  credit: number;
  slot?: Slot;
  pause(paused: boolean): void;
}

let llama: Llama | undefined;
let registry: ModelRegistry | undefined;
/** Embedding models (issue 13): their own contexts, beside the chat models' slots. */
let embeddings: EmbeddingEngine | undefined;
/** Running embedding requests, by id, for `cancel`. */
const embedding = new Map<number, AbortController>();
let config: EngineConfig | undefined;
const stats = new BatchStats();
const running = new Map<number, Running>();
/** Models added while llama.cpp was still starting. */
const earlyModels = new Map<string, string>();

function send(msg: ChildMessage): void {
  if (process.connected) process.send?.(msg);
}

function toWire(err: unknown): WireError {
  if (err instanceof InferenceError) return { code: err.code, message: err.message };
  return { code: 'engine_error', message: err instanceof Error ? err.message : String(err) };
}

async function init(cfg: EngineConfig, models: Record<string, string>): Promise<void> {
  config = cfg;
  try {
    llama = await getLlama({
      build: 'never',
      gpu: cfg.gpu === 'off' ? false : 'auto',
      maxThreads: cfg.threads,
      logLevel: LlamaLogLevel.error,
      progressLogs: false,
    });
  } catch (err) {
    send({ type: 'fatal', message: `llama.cpp could not start: ${toWire(err).message}` });
    process.exit(1);
  }
  await patchJsonGrammar();
  registry = new ModelRegistry(llama, cfg, stats);
  embeddings = new EmbeddingEngine(llama, cfg);
  for (const [id, path] of [...Object.entries(models), ...earlyModels]) registry.add(id, path);
  send({ type: 'ready' });
}

function engineStats(): EngineStats {
  const loaded = registry?.all() ?? [];
  return {
    decodeBatches: stats.decodeBatches,
    batchSequenceHistogram: Array.from(stats.histogram, (n) => n ?? 0),
    decodedTokens: stats.decodedTokens,
    slotsBusy: loaded.reduce((n, m) => n + m.scheduler.busyCount, 0),
    slotsTotal: loaded.length === 0 ? (config?.slots ?? 0) : loaded.length * (config?.slots ?? 0),
    queueDepth: loaded.reduce((n, m) => n + m.scheduler.queueDepth, 0),
    loadedModels: registry?.loadedIds() ?? [],
  };
}

async function handleChat(id: number, req: ChatRequest, affinityKey: string | undefined): Promise<void> {
  const cfg = config as EngineConfig;
  const reg = registry as ModelRegistry;
  const run: Running = {
    abort: new AbortController(),
    endThinking: new AbortController(),
    credit: cfg.creditWindow,
    pause: () => {},
  };
  running.set(id, run);
  const emit = (chunk: ChatChunk) => {
    send({ type: 'chunk', id, chunk });
    if (chunk.type === 'usage' || chunk.type === 'done') return;
    run.credit--;
    if (run.credit <= 0) run.pause(true);
  };
  try {
    let loaded: Awaited<ReturnType<ModelRegistry['get']>>;
    let prepared: ReturnType<typeof prepareRequest>;
    try {
      validateRequest(req);
      await refuseEmbeddingModel(req.model);
      loaded = await reg.get(req.model);
      prepared = prepareRequest(req, loaded);
    } catch (err) {
      send({ type: 'chat-error', id, error: toWire(err) });
      return;
    }
    let slot: Slot;
    try {
      slot = await loaded.scheduler.acquire({
        affinityKey,
        promptTokens: prepared.promptTokens,
        signal: run.abort.signal,
        onQueued: (position, etaMs) =>
          emit(etaMs === undefined ? { type: 'queued', position } : { type: 'queued', position, etaMs }),
      });
    } catch (err) {
      if (run.abort.signal.aborted) emit({ type: 'done', finishReason: 'cancelled' });
      else emit({ type: 'done', finishReason: 'error', error: toWire(err).message });
      return;
    }
    run.slot = slot;
    run.pause = (paused) => slot.member.setPaused(paused, loaded.lockstep);
    if (run.credit <= 0) run.pause(true);
    try {
      await generate({
        slot,
        loaded,
        req,
        prepared,
        signal: run.abort.signal,
        endThinking: run.endThinking.signal,
        emit,
        ignoreEos: cfg.ignoreEos,
      });
    } finally {
      slot.member.setPaused(false, loaded.lockstep);
      slot.affinityKey = affinityKey;
      loaded.scheduler.release(slot);
    }
  } catch (err) {
    emit({ type: 'done', finishReason: 'error', error: toWire(err).message });
  } finally {
    running.delete(id);
  }
}

async function handleCall(msg: Extract<ParentMessage, { type: 'call' }>): Promise<void> {
  const reg = registry;
  try {
    if (!reg) throw new InferenceError('engine_error', 'engine not initialised');
    switch (msg.op) {
      case 'load':
        if (await isEmbeddingModel(msg.model))
          await (embeddings as EmbeddingEngine).load(msg.model, reg.pathOf(msg.model) as string);
        else await reg.get(msg.model);
        send({ type: 'result', id: msg.id, ok: true, value: null });
        return;
      case 'unload':
        await embeddings?.unload(msg.model);
        await reg.unload(msg.model);
        send({ type: 'result', id: msg.id, ok: true, value: null });
        return;
      case 'models':
        send({ type: 'result', id: msg.id, ok: true, value: await listModels(reg) });
        return;
      case 'stats':
        send({ type: 'result', id: msg.id, ok: true, value: engineStats() });
        return;
      case 'count': {
        // The same prompt a chat would build (template, tools, thinking mode), tokenized; no slot taken.
        validateRequest(msg.req);
        const loaded = await reg.get(msg.req.model);
        send({
          type: 'result',
          id: msg.id,
          ok: true,
          value: prepareRequest(msg.req, loaded).promptTokens.length,
        });
        return;
      }
      case 'shutdown':
        await shutdown();
        send({ type: 'result', id: msg.id, ok: true, value: null });
        setImmediate(() => process.exit(0));
        return;
      default:
        msg satisfies never;
    }
  } catch (err) {
    send({ type: 'result', id: msg.id, ok: false, error: toWire(err) });
  }
}

/** Whether `id` names an embedding model (its GGUF header, or the configuration says so). */
async function isEmbeddingModel(id: string): Promise<boolean> {
  const path = registry?.pathOf(id);
  if (path === undefined) return false;
  return (await embeddingTraits(path, config?.embeddingModels?.[id] !== undefined)).embedding;
}

async function refuseEmbeddingModel(id: string): Promise<void> {
  if (await isEmbeddingModel(id)) {
    throw new InferenceError(
      'invalid_request',
      `Model "${id}" is an embedding model: it cannot chat. Use it with POST /v1/embeddings.`,
    );
  }
}

/** The registry's listing, with embedding models described as such (ready once their context is up). */
async function listModels(reg: ModelRegistry): Promise<ModelInfo[]> {
  const hints = config?.embeddingModels ?? {};
  return Promise.all(
    (await reg.list()).map(async (info) => {
      const path = reg.pathOf(info.id);
      if (path === undefined) return info;
      const traits = await embeddingTraits(path, hints[info.id] !== undefined);
      if (!traits.embedding) return info;
      const out = asEmbeddingModel(info, traits, hints[info.id]);
      if (embeddings?.isLoaded(info.id) && out.state === 'ready') delete out.detail;
      return out;
    }),
  );
}

async function handleEmbed(msg: Extract<ParentMessage, { type: 'embed' }>): Promise<void> {
  const abort = new AbortController();
  embedding.set(msg.id, abort);
  try {
    const reg = registry;
    const engine = embeddings;
    if (!reg || !engine) throw new InferenceError('engine_error', 'engine not initialised');
    const path = reg.pathOf(msg.model);
    if (path === undefined) throw new InferenceError('model_not_found', `Unknown model "${msg.model}"`);
    if (!(await isEmbeddingModel(msg.model))) {
      throw new InferenceError(
        'invalid_request',
        `Model "${msg.model}" is a chat model: it cannot compute embeddings. Name an embedding model.`,
      );
    }
    const value = await engine.embed(msg.model, path, msg.input, {
      ...(msg.dimensions === undefined ? {} : { dimensions: msg.dimensions }),
      signal: abort.signal,
    });
    send({ type: 'result', id: msg.id, ok: true, value });
  } catch (err) {
    send({ type: 'result', id: msg.id, ok: false, error: toWire(err) });
  } finally {
    embedding.delete(msg.id);
  }
}

async function shutdown(): Promise<void> {
  for (const r of running.values()) {
    r.abort.abort();
    r.pause(false);
  }
  const deadline = Date.now() + 2000;
  while (running.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  for (const a of embedding.values()) a.abort();
  await embeddings?.dispose();
  await registry?.dispose();
  await llama?.dispose();
}

function onMessage(msg: ParentMessage): void {
  switch (msg.type) {
    case 'init':
      void init(msg.config, msg.models);
      return;
    case 'add-model':
      if (registry) registry.add(msg.id, msg.path);
      else earlyModels.set(msg.id, msg.path);
      return;
    case 'chat':
      void handleChat(msg.id, msg.req, msg.affinityKey);
      return;
    case 'cancel': {
      embedding.get(msg.id)?.abort();
      const r = running.get(msg.id);
      r?.abort.abort();
      r?.pause(false);
      return;
    }
    case 'end-thinking':
      running.get(msg.id)?.endThinking.abort();
      return;
    case 'credit': {
      const r = running.get(msg.id);
      if (!r) return;
      r.credit += msg.n;
      if (r.credit > 0) r.pause(false);
      return;
    }
    case 'call':
      void handleCall(msg);
      return;
    case 'embed':
      void handleEmbed(msg);
      return;
    default:
      msg satisfies never;
  }
}

if (!process.send) {
  console.error(
    'engine-process.ts is the embedded engine child; it must be started by the embedded provider',
  );
  process.exit(2);
}
process.on('message', (m) => onMessage(m as ParentMessage));
// The parent is gone: nobody can read results, so do not linger as an orphan holding gigabytes.
process.on('disconnect', () => process.exit(0));
// Ctrl-C in a terminal signals the whole process group, this child included. The parent decides what an
// interrupt means (`ponder chat` stops the current answer and keeps the engine), so the engine ignores it.
process.on('SIGINT', () => {});
// SIGTERM may reach the whole process group too (systemd's default KillMode, `kill -- -PGID`). Graceful
// shutdown is the parent's to run: it lets running answers finish, then stops this engine over IPC; dying
// at once would cut them. Should the parent be gone, `disconnect` above ends this process.
process.on('SIGTERM', () => {});
