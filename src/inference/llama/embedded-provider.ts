/**
 * The embedded `Provider`: an IPC client for the engine child (`engine-process.ts`) plus its supervisor.
 * The child runs llama.cpp with `UV_THREADPOOL_SIZE=1` (design §4) and isolates native crashes; when it
 * dies, in-flight requests end with `done: error`, it is restarted with backoff and models reload lazily.
 */
import type { ChildProcess } from 'node:child_process';
import os from 'node:os';
import type { EmbeddingRequest, EmbeddingResult } from '../embeddings.ts';
import { modelFileBudgets } from '../thinking-budgets.ts';
import {
  type ChatChunk,
  type ChatOptions,
  type ChatRequest,
  type Health,
  InferenceError,
  type ModelInfo,
} from '../types.ts';
import { AsyncQueue } from './async-queue.ts';
import type { EmbedWireResult } from './embedding-engine.ts';
import { asEmbeddingModel, embeddingTraits } from './embedding-traits.ts';
import { type Call, endInFlight, type Stream, type StreamItem } from './engine-inflight.ts';
import { spawnEngine } from './engine-spawn.ts';
import { idleModelInfo } from './file-check.ts';
import type { ChildMessage, EngineConfig, EngineStats, ParentMessage } from './ipc-protocol.ts';

import type {
  EmbeddedProvider,
  EmbeddedProviderOptions,
  EngineLogger,
  ModelResolver,
} from './provider-options.ts';

const silent: EngineLogger = { info() {}, warn() {}, error() {} };

export function createEmbeddedProvider(options: EmbeddedProviderOptions): EmbeddedProvider {
  return new EmbeddedEngineClient(options);
}

class EmbeddedEngineClient implements EmbeddedProvider {
  readonly id = 'embedded';
  private readonly config: EngineConfig;
  private readonly logger: EngineLogger;
  private readonly known = new Map<string, string>();
  private readonly resolver: ModelResolver | undefined;
  /** Loads asked for through `load()` and not finished, and the last failure of each: for `models()`. */
  private readonly loading = new Set<string>();
  private readonly loadErrors = new Map<string, string>();
  private child: ChildProcess | undefined;
  private starting: Promise<ChildProcess> | undefined;
  private readonly streams = new Map<number, Stream>();
  private readonly calls = new Map<number, Call>();
  private nextId = 1;
  private crashes = 0;
  private restartAt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  /** Set by `beginShutdown` or disposal: an engine exit is expected from then on. */
  private stopping = false;

  constructor(private readonly options: EmbeddedProviderOptions) {
    this.config = {
      slots: options.slots ?? 4,
      threads: options.threads ?? os.availableParallelism(),
      contextSize: options.contextSize ?? 8192,
      batchSize: options.batchSize ?? 512,
      gpu: options.gpu ?? 'off',
      freeMemoryLimitBytes: options.freeMemoryLimitBytes,
      ignoreEos: options.ignoreEos ?? false,
      lockstepFallbackMs: options.lockstepFallbackMs ?? 10,
      creditWindow: options.creditWindow ?? 64,
      ...(options.thinkingBudgets ? { thinkingBudgets: options.thinkingBudgets } : {}),
      ...(options.embeddingModels ? { embeddingModels: options.embeddingModels } : {}),
    };
    this.logger = options.logger ?? silent;
    if (typeof options.models === 'function') this.resolver = options.models;
    else for (const [id, path] of Object.entries(options.models)) this.known.set(id, path);
  }

  get enginePid(): number | undefined {
    return this.child?.pid;
  }

  beginShutdown(): void {
    this.stopping = true;
    clearTimeout(this.restartTimer);
  }

  addModel(id: string, path: string): void {
    this.known.set(id, path);
    this.child?.send({ type: 'add-model', id, path } satisfies ParentMessage);
  }

  async load(modelId: string): Promise<void> {
    this.loading.add(modelId);
    try {
      await this.resolveModel(modelId);
      await this.call({ type: 'call', id: 0, op: 'load', model: modelId });
      this.loadErrors.delete(modelId);
    } catch (err) {
      this.loadErrors.set(modelId, err instanceof Error ? err.message : String(err));
      throw err;
    } finally {
      this.loading.delete(modelId);
    }
  }

  async unload(modelId: string): Promise<void> {
    if (!this.child) return;
    await this.call({ type: 'call', id: 0, op: 'unload', model: modelId });
  }

  async models(): Promise<ModelInfo[]> {
    // Asking an engine that is not up means starting it or waiting for its start (seconds, while a model
    // loads at server start): a listing answers from what this process knows instead.
    if (!this.child || this.starting) return this.localModels();
    return (await this.call({ type: 'call', id: 0, op: 'models' })) as ModelInfo[];
  }

  private localModels(): Promise<ModelInfo[]> {
    const { contextSize } = this.config;
    return Promise.all(
      [...this.known].map(async ([id, path]): Promise<ModelInfo> => {
        const info: ModelInfo = this.loading.has(id)
          ? { id, provider: 'embedded', state: 'loading', contextSize }
          : await idleModelInfo(id, path, contextSize, this.loadErrors.get(id));
        // The same effort table and "answer now" as the engine's own listing.
        info.thinkingBudgets = await modelFileBudgets(id, path, this.config.thinkingBudgets);
        info.canEndThinking = true;
        info.supportsTools = true;
        info.supportsResponseFormat = true;
        const hint = this.config.embeddingModels?.[id];
        const traits = await embeddingTraits(path, hint !== undefined);
        return traits.embedding ? asEmbeddingModel(info, traits, hint) : info;
      }),
    );
  }

  /** The prompt's token count as a chat would build it (`TokenCounter`); loads the model if needed. */
  async countPromptTokens(req: ChatRequest): Promise<number> {
    const model = req.model || this.options.defaultModel || '';
    await this.resolveModel(model);
    return (await this.call({ type: 'call', id: 0, op: 'count', req: { ...req, model } })) as number;
  }

  async stats(): Promise<EngineStats> {
    return (await this.call({ type: 'call', id: 0, op: 'stats' })) as EngineStats;
  }

  async health(): Promise<Health> {
    if (this.disposed) return { ok: false, detail: 'engine shut down' };
    if (!this.child && !this.starting) {
      if (this.restartAt > Date.now()) return { ok: false, detail: 'engine restarting after a crash' };
      return {
        ok: true,
        detail: 'engine not started yet',
        slotsBusy: 0,
        slotsTotal: this.config.slots,
        queueDepth: 0,
      };
    }
    try {
      const s = await this.stats();
      return { ok: true, slotsBusy: s.slotsBusy, slotsTotal: s.slotsTotal, queueDepth: s.queueDepth };
    } catch (err) {
      return { ok: false, detail: err instanceof Error ? err.message : String(err) };
    }
  }

  chat(req: ChatRequest, opts: ChatOptions): AsyncIterable<ChatChunk> {
    return this.stream(req, opts);
  }

  private async *stream(req: ChatRequest, opts: ChatOptions): AsyncGenerator<ChatChunk> {
    const model = req.model || this.options.defaultModel || '';
    await this.resolveModel(model);
    const child = await this.ensureChild();
    const id = this.nextId++;
    let owed = 0;
    const window = this.config.creditWindow;
    const queue = new AsyncQueue<StreamItem>((item) => {
      if (item.kind !== 'chunk' || item.chunk.type === 'usage' || item.chunk.type === 'done') return;
      // Hand credit back in halves of the window so the child never idles waiting for it.
      if (++owed >= Math.max(1, window >> 1)) {
        this.sendTo(child, { type: 'credit', id, n: owed });
        owed = 0;
      }
    });
    this.streams.set(id, { queue, child });
    const cancel = () => this.sendTo(child, { type: 'cancel', id });
    const endThinking = () => this.sendTo(child, { type: 'end-thinking', id });
    opts.signal.addEventListener('abort', cancel, { once: true });
    opts.endThinking?.addEventListener('abort', endThinking, { once: true });
    let finished = false;
    try {
      this.sendTo(child, { type: 'chat', id, req: { ...req, model }, affinityKey: opts.affinityKey });
      if (opts.signal.aborted) cancel();
      else if (opts.endThinking?.aborted) endThinking();
      for await (const item of queue) {
        if (item.kind === 'error') {
          finished = true;
          throw new InferenceError(item.error.code, item.error.message);
        }
        if (item.chunk.type === 'done') finished = true;
        yield item.chunk;
        if (finished) return;
      }
    } finally {
      opts.signal.removeEventListener('abort', cancel);
      opts.endThinking?.removeEventListener('abort', endThinking);
      this.streams.delete(id);
      // The consumer stopped early: free the slot.
      if (!finished) cancel();
    }
  }

  /** Embeddings from an embedding model, computed in the engine child (issue 13). */
  async embed(req: EmbeddingRequest, opts: { signal: AbortSignal }): Promise<EmbeddingResult> {
    await this.resolveModel(req.model);
    const msg: ParentMessage = {
      type: 'embed',
      id: 0,
      model: req.model,
      input: [...req.input],
      ...(req.dimensions === undefined ? {} : { dimensions: req.dimensions }),
    };
    const value = (await this.call(msg, opts.signal)) as EmbedWireResult;
    return { model: req.model, vectors: value.vectors, promptTokens: value.promptTokens };
  }

  private async resolveModel(id: string): Promise<void> {
    if (!id) throw new InferenceError('invalid_request', 'No model given and no default model configured');
    if (this.known.has(id)) return;
    const path = this.resolver ? await this.resolver(id) : undefined;
    if (path === undefined) {
      const list = [...this.known.keys()].join(', ') || 'none';
      throw new InferenceError('model_not_found', `Unknown model "${id}" (available: ${list})`);
    }
    this.addModel(id, path);
  }

  private sendTo(child: ChildProcess, msg: ParentMessage): void {
    if (child.connected) child.send(msg);
  }

  private async call(
    msg: Extract<ParentMessage, { type: 'call' | 'embed' }>,
    signal?: AbortSignal,
  ): Promise<unknown> {
    const child = await this.ensureChild();
    const id = this.nextId++;
    // Embeddings stop between inputs when their caller gives up; the answer still settles the call.
    const cancel = () => this.sendTo(child, { type: 'cancel', id });
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      return await new Promise((resolve, reject) => {
        this.calls.set(id, { resolve, reject, child });
        this.sendTo(child, { ...msg, id });
        if (signal?.aborted) cancel();
      });
    } finally {
      signal?.removeEventListener('abort', cancel);
    }
  }

  private ensureChild(): Promise<ChildProcess> {
    if (this.disposed)
      return Promise.reject(new InferenceError('engine_error', 'The embedded engine is shut down'));
    // `child` is set as soon as it is forked; until it reports ready, callers wait for the start.
    if (this.starting) return this.starting;
    if (this.child) return Promise.resolve(this.child);
    // No new engine once the server shuts down (its last one stopped or crashed).
    if (this.stopping)
      return Promise.reject(
        new InferenceError('overloaded', 'The server is shutting down; retry in a moment.'),
      );
    this.starting = this.spawn().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async spawn(): Promise<ChildProcess> {
    const wait = this.restartAt - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    let forked: ChildProcess | undefined;
    try {
      const child = await spawnEngine({
        env: this.options.env ?? process.env,
        config: this.config,
        models: Object.fromEntries(this.known),
        onForked: (c) => {
          forked = c;
          this.child = c;
        },
        onMessage: (m) => this.onMessage(m),
        onExit: (c, code, signal, uptimeMs, stderrTail) => this.onExit(c, code, signal, uptimeMs, stderrTail),
      });
      this.logger.info(
        { pid: child.pid, threads: this.config.threads, slots: this.config.slots },
        'embedded engine started',
      );
      return child;
    } catch (err) {
      if (forked !== undefined && this.child === forked) this.child = undefined;
      throw err;
    }
  }

  private onMessage(m: ChildMessage): void {
    switch (m.type) {
      case 'ready':
      case 'fatal':
        return;
      case 'chunk':
        this.streams.get(m.id)?.queue.push({ kind: 'chunk', chunk: m.chunk });
        return;
      case 'chat-error':
        this.streams.get(m.id)?.queue.push({ kind: 'error', error: m.error });
        return;
      case 'result': {
        const call = this.calls.get(m.id);
        if (!call) return;
        this.calls.delete(m.id);
        if (m.ok) call.resolve(m.value);
        else call.reject(new InferenceError(m.error.code, m.error.message));
        return;
      }
      default:
        m satisfies never;
    }
  }

  private onExit(
    child: ChildProcess,
    code: number | null,
    signal: string | null,
    /** -1 when it never finished starting. */
    uptimeMs: number,
    stderrTail: string,
  ): void {
    if (this.child === child) this.child = undefined;
    const stopping = this.disposed || this.stopping;
    const inFlight = endInFlight({ child, streams: this.streams, calls: this.calls, stopping, code, signal });
    if (stopping) {
      // Expected (we asked it to stop, or the whole process group got the signal): no restart, no alarm.
      this.logger.info({ pid: child.pid, code, signal, inFlight }, 'engine stopped');
      return;
    }
    const lastLine = stderrTail.trim().split('\n').at(-1)?.slice(0, 300);
    if (uptimeMs < 0) {
      // Startup failures (no usable binary, bad install) would fail again at once: retry on the next request.
      this.restartAt = Date.now() + (this.options.restartBackoffMs ?? 250);
      this.logger.error(
        { pid: child.pid, code, signal, stderr: lastLine },
        'embedded engine failed to start',
      );
      return;
    }
    // A child that lived a while was healthy: start the backoff over.
    if (uptimeMs > 30_000) this.crashes = 0;
    const delay = Math.min((this.options.restartBackoffMs ?? 250) * 2 ** this.crashes, 10_000);
    this.crashes++;
    this.restartAt = Date.now() + delay;
    this.logger.error(
      { pid: child.pid, code, signal, inFlight, restartInMs: delay, stderr: lastLine },
      'embedded engine died; restarting',
    );
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      void this.ensureChild().catch((err: unknown) =>
        this.logger.error(
          { err: err instanceof Error ? err.message : String(err) },
          'embedded engine restart failed',
        ),
      );
    }, delay);
    this.restartTimer.unref();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.disposed) return;
    this.beginShutdown();
    const child = this.child ?? (await this.starting?.catch(() => undefined));
    if (child) {
      const exited = new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else child.once('exit', () => resolve());
      });
      for (const id of this.streams.keys()) this.sendTo(child, { type: 'cancel', id });
      const timeout = this.options.shutdownTimeoutMs ?? 5000;
      const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
      await this.call({ type: 'call', id: 0, op: 'shutdown' }).catch(() => child.kill('SIGKILL'));
      this.disposed = true;
      await exited;
      clearTimeout(timer);
    }
    this.disposed = true;
  }
}
