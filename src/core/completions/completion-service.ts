/**
 * Stateless completions for the OpenAI-compatible API: admission, the provider stream and the usage
 * ledger, with nothing stored but usage. Unlike conversations, the generation belongs to the caller's
 * connection: its `signal` aborting (a client disconnect) cancels it at once and frees the slot.
 * Graceful shutdown drains them like web generations: running completions may finish within the grace
 * period; then each is cut and still ends with a `done` chunk, so the HTTP layer can end its protocol.
 */
import { type ChatChunk, type ChatRequest, InferenceError } from '../../inference/types.ts';
import type { Store } from '../../store/types.ts';
import type { AdmissionGrant } from '../inference-gateway.ts';
import type { PrepareOptions, TurnPipeline } from '../turns/turn-pipeline.ts';

export interface CompletionCaller {
  userId: string;
  plan: string;
  /** The API key used, so usage can be attributed to it. */
  apiKeyId: string | null;
}

export interface CompletionServiceOptions {
  /** Model, plan limits, admission and the stream: the same turn pipeline as the web chat. */
  pipeline: TurnPipeline;
  store: Pick<Store, 'usage'>;
}

export interface CompleteOptions extends PrepareOptions {
  /** Routes the turn to the engine slot that already holds this prefix (the Responses API's `prompt_cache_key`). */
  affinityKey?: string;
}

/** The `done` error of a completion cut by graceful shutdown. */
export const SHUTDOWN_INTERRUPTED = 'interrupted: the server is shutting down';
const SHUTTING_DOWN = 'The server is shutting down; retry in a moment.';

export class CompletionService {
  readonly #o: CompletionServiceOptions;
  /** Running completions: their shutdown controller, and when they finished. */
  readonly #running = new Map<AbortController, Promise<void>>();
  #closing = false;

  constructor(options: CompletionServiceOptions) {
    this.#o = options;
  }

  /**
   * Streams one completion. Errors known before generation (unknown model, model not ready, admission
   * refused) are thrown from the first `next()`, so the HTTP layer can still answer with a status; while
   * the request waits for admission it yields `queued` chunks.
   */
  async *complete(
    caller: CompletionCaller,
    req: ChatRequest,
    callerSignal: AbortSignal,
    options: CompleteOptions = {},
  ): AsyncGenerator<ChatChunk> {
    if (this.#closing) throw new InferenceError('overloaded', SHUTTING_DOWN);
    const cut = new AbortController();
    let finished!: () => void;
    this.#running.set(cut, new Promise<void>((resolve) => (finished = resolve)));
    try {
      yield* this.#complete(caller, req, AbortSignal.any([callerSignal, cut.signal]), cut.signal, options);
    } finally {
      this.#running.delete(cut);
      finished();
    }
  }

  /** Refuses new completions (503 `overloaded`) from now on; running ones go on. */
  closeForNewCompletions(): void {
    this.#closing = true;
  }

  /** Resolves when no completion runs any more, or when `signal` aborts. */
  async drain(signal: AbortSignal): Promise<void> {
    while (this.#running.size > 0 && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener('abort', done);
          resolve();
        };
        signal.addEventListener('abort', done, { once: true });
        void Promise.race(this.#running.values()).then(done);
      });
    }
  }

  /**
   * Cuts every running completion (each still yields its `done`, `cancelled` with `SHUTDOWN_INTERRUPTED`)
   * and waits, at most `timeoutMs`, until their callers have read to the end.
   */
  async shutdown(timeoutMs = 5000): Promise<void> {
    this.#closing = true;
    const all = [...this.#running];
    for (const [cut] of all) cut.abort();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(all.map(([, done]) => done)),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  async *#complete(
    caller: CompletionCaller,
    req: ChatRequest,
    signal: AbortSignal,
    shutdown: AbortSignal,
    options: CompleteOptions,
  ): AsyncGenerator<ChatChunk> {
    const { pipeline, store } = this.#o;
    // The client runs its own tools: their calls stream back to it as they come.
    const turn = await pipeline.prepare(caller, req, options);
    const request = turn.request;
    const model = turn.model;

    const queued: ChatChunk[] = [];
    let wake: (() => void) | undefined;
    const grantPromise = pipeline.admit(turn, {
      signal,
      onQueued: (position, etaMs) => {
        queued.push(etaMs === undefined ? { type: 'queued', position } : { type: 'queued', position, etaMs });
        wake?.();
      },
    });
    let grant: AdmissionGrant | undefined;
    void grantPromise.then(
      (g) => {
        grant = g;
        wake?.();
      },
      () => wake?.(),
    );
    // Relay queue positions until admitted; a refusal rejects `grantPromise` and is thrown here.
    try {
      while (!grant) {
        const next = queued.shift();
        if (next) {
          yield next;
          continue;
        }
        await Promise.race([grantPromise, new Promise<void>((resolve) => (wake = resolve))]);
        wake = undefined;
      }
    } catch (err) {
      // Still queued at the end of the grace period: it never started, so the client may retry elsewhere.
      if (shutdown.aborted) throw new InferenceError('overloaded', SHUTTING_DOWN);
      throw err;
    }
    let ended = false;
    try {
      const affinity = options.affinityKey === undefined ? {} : { affinityKey: options.affinityKey };
      for await (const chunk of pipeline.run(turn, { signal, ...affinity })) {
        if (chunk.type === 'usage' && (chunk.promptTokens > 0 || chunk.completionTokens > 0)) {
          await store.usage.record({
            userId: caller.userId,
            apiKeyId: caller.apiKeyId,
            model: model.id,
            promptTokens: chunk.promptTokens,
            completionTokens: chunk.completionTokens,
            reasoningTokens: chunk.reasoningTokens,
            reasoning: request.thinking?.enabled !== false,
          });
        }
        if (chunk.type === 'done') {
          ended = true;
          // Cut by shutdown, whatever the provider made of the abort (an upstream may report an error).
          if (shutdown.aborted && chunk.finishReason !== 'stop' && chunk.finishReason !== 'length') {
            yield { type: 'done', finishReason: 'cancelled', error: SHUTDOWN_INTERRUPTED };
            continue;
          }
        }
        yield chunk;
      }
    } catch (err) {
      if (!shutdown.aborted) throw err;
    } finally {
      grant.release();
    }
    if (!ended && shutdown.aborted)
      yield { type: 'done', finishReason: 'cancelled', error: SHUTDOWN_INTERRUPTED };
  }
}
