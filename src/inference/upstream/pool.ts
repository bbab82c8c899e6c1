/**
 * A pool of OpenAI-compatible upstreams serving the same models, itself a Provider.
 *
 * - Routing: least outstanding requests among members that serve the model, pass their health check and
 *   whose circuit admits; ties go to the member that last served the same `affinityKey` (its prefix cache
 *   is warm), then round-robin.
 * - Capacity: a member never gets more than its `maxConcurrent`; when all are full, requests wait in one
 *   bounded FIFO queue and stream `queued` chunks with their position.
 * - Failover: a request that fails before its first token (connection refused, 401/5xx, timeout, broken
 *   stream) is retried once on each other member; after the first token an error reaches the caller, as a
 *   retry would repeat or contradict what was already streamed. Client errors (400/404/413) are not retried.
 * - Health: `GET /models` on every member every `healthCheckIntervalMs`; a failing member gets no traffic
 *   unless no member for the model passes (a stale verdict is then better than refusing).
 */
import type { UpstreamConfig } from '../../config/schema.ts';
import type { EmbeddingRequest, EmbeddingResult } from '../embeddings.ts';
import type { ChatChunk, ChatOptions, ChatRequest, Health, ModelInfo, Provider } from '../types.ts';
import { InferenceError, MODEL_SERVER_UNAVAILABLE } from '../types.ts';
import { attemptOn } from './pool-attempt.ts';
import { embedThroughPool } from './pool-embed.ts';
import { PoolMember, type PoolMemberStatus } from './pool-member.ts';
import { createUpstreamProvider, type UpstreamProviderOptions } from './provider.ts';

export interface UpstreamPoolOptions extends UpstreamProviderOptions {
  /** Provider id (used in `ModelInfo.provider`). Default `"upstreams"`. */
  id?: string;
  /** Interval of the active health checks, in ms; 0 turns them off. Default 10 000. */
  healthCheckIntervalMs?: number;
  /** Consecutive failed requests that open a member's circuit. Default 3. */
  failureThreshold?: number;
  /** How long an open circuit rejects traffic before one probe request is let through, in ms. Default 30 000. */
  circuitCooldownMs?: number;
  /** Requests that may wait for a free member; beyond that `chat` throws `overloaded`. Default 256. */
  maxQueue?: number;
  /** Longest wait in the queue, in ms. Default 60 000. */
  queueTimeoutMs?: number;
}

export interface UpstreamPool extends Provider {
  /** Embeddings (issue 13) from a member serving the embedding model. */
  embed(req: EmbeddingRequest, opts: { signal: AbortSignal }): Promise<EmbeddingResult>;
  /** Per-member state for the admin page and metrics; free of secrets. */
  members(): PoolMemberStatus[];
  /** Runs one round of health checks now (the periodic ones call this too). */
  checkHealth(): Promise<void>;
  readonly queueDepth: number;
}

interface Waiter {
  model: string;
  tried: Set<PoolMember>;
  affinityKey: string | undefined;
  assigned: PoolMember | undefined;
  wake: () => void;
}

const AFFINITY_LIMIT = 10_000;
const REDISCOVER_MS = 10_000;

export function createUpstreamPool(
  configs: readonly UpstreamConfig[],
  options: UpstreamPoolOptions = {},
): UpstreamPool {
  const id = options.id ?? 'upstreams';
  const maxQueue = options.maxQueue ?? 256;
  const queueTimeoutMs = options.queueTimeoutMs ?? 60_000;
  const intervalMs = options.healthCheckIntervalMs ?? 10_000;
  const log = options.logger;
  const circuit = {
    failureThreshold: options.failureThreshold ?? 3,
    cooldownMs: options.circuitCooldownMs ?? 30_000,
  };
  const members = configs.map((c) => new PoolMember(createUpstreamProvider(c, options), circuit));
  const queue: Waiter[] = [];
  const affinity = new Map<string, PoolMember>();
  let roundRobin = 0;
  let checking: Promise<void> | undefined;
  let checkedOnce = false;
  let lastCheckAt = 0;
  let disposed = false;

  const timer = intervalMs > 0 ? setInterval(() => void checkHealth(), intervalMs) : undefined;
  timer?.unref();

  function checkHealth(): Promise<void> {
    checking ??= (async () => {
      await Promise.all(
        members.map(async (m) => {
          const result = await m.provider.probe();
          const wasHealthy = m.healthy;
          m.healthy = result.ok;
          if (!result.ok && result.detail) m.lastError = `health check failed: ${result.detail}`;
          if (!m.provider.configuredModels && result.models) m.models = result.models;
          if (wasHealthy !== m.healthy) {
            log?.warn({ upstream: m.id, healthy: m.healthy }, 'upstream health changed');
          }
        }),
      );
      checkedOnce = true;
      lastCheckAt = Date.now();
    })().finally(() => {
      checking = undefined;
      dispatch();
    });
    return checking;
  }

  /**
   * Members whose models are unknown (discovery never succeeded) are asked before the first routing; after
   * that a stale answer is refreshed in the background, so a dead member never delays a request.
   */
  async function ensureModels(): Promise<void> {
    if (!members.some((m) => m.models === undefined)) return;
    if (!checkedOnce) await checkHealth();
    else if (Date.now() - lastCheckAt > REDISCOVER_MS) void checkHealth();
  }

  function candidatesFor(model: string): PoolMember[] {
    const serving = members.filter((m) => m.serves(model));
    const healthy = serving.filter((m) => m.healthy);
    return healthy.length > 0 ? healthy : serving;
  }

  function pick(
    model: string,
    tried: Set<PoolMember>,
    affinityKey: string | undefined,
  ): PoolMember | undefined {
    const free = candidatesFor(model).filter((m) => !tried.has(m) && m.admits && m.hasCapacity);
    if (free.length === 0) return undefined;
    const least = Math.min(...free.map((m) => m.outstanding));
    const best = free.filter((m) => m.outstanding === least);
    const preferred = affinityKey ? affinity.get(affinityKey) : undefined;
    const chosen =
      preferred && best.includes(preferred) ? preferred : (best[roundRobin++ % best.length] as PoolMember);
    chosen.take();
    if (affinityKey) {
      affinity.delete(affinityKey);
      affinity.set(affinityKey, chosen);
      if (affinity.size > AFFINITY_LIMIT) affinity.delete(affinity.keys().next().value as string);
    }
    return chosen;
  }

  /** Whether any untried member could take the request now or once a slot frees. */
  function mayServe(model: string, tried: Set<PoolMember>): boolean {
    return candidatesFor(model).some((m) => !tried.has(m) && m.mayAdmitSoon);
  }

  /** Hands free members to waiters in FIFO order, then lets every waiter re-check its position. */
  function dispatch(): void {
    const waiters = [...queue];
    for (const w of waiters) {
      const m = pick(w.model, w.tried, w.affinityKey);
      if (!m) continue;
      w.assigned = m;
      queue.splice(queue.indexOf(w), 1);
    }
    for (const w of waiters) w.wake();
  }

  function release(m: PoolMember): void {
    m.release();
    dispatch();
  }

  type Acquired = { member?: PoolMember; failure?: string };

  /** Takes a free member now, or waits in the FIFO queue (streaming `queued` chunks) until one frees. */
  async function* acquire(
    req: ChatRequest,
    tried: Set<PoolMember>,
    opts: ChatOptions,
    state: { yielded: boolean },
  ): AsyncGenerator<ChatChunk, Acquired> {
    if (queue.length === 0) {
      const m = pick(req.model, tried, opts.affinityKey);
      if (m) return { member: m };
    }
    if (!mayServe(req.model, tried)) return { failure: noMemberMessage(req.model) };
    if (queue.length >= maxQueue) {
      // Before any chunk the caller gets a typed error (HTTP 503); a retry that finds the queue full ends the stream.
      if (state.yielded) return { failure: `all upstreams for model "${req.model}" are busy` };
      throw new InferenceError(
        'overloaded',
        `all upstreams for model "${req.model}" are busy; try again shortly`,
      );
    }
    const waiter: Waiter = {
      model: req.model,
      tried,
      affinityKey: opts.affinityKey,
      assigned: undefined,
      wake: () => {},
    };
    queue.push(waiter);
    dispatch();
    const deadline = Date.now() + queueTimeoutMs;
    let lastPosition = 0;
    let handedOver = false;
    try {
      while (!waiter.assigned) {
        if (disposed) return { failure: 'the upstream pool is shutting down' };
        if (!mayServe(req.model, tried)) return { failure: noMemberMessage(req.model) };
        const position = queue.indexOf(waiter) + 1;
        if (position !== lastPosition) {
          lastPosition = position;
          state.yielded = true;
          yield { type: 'queued', position };
          continue; // re-check: the member may have been assigned while the chunk was pending
        }
        const outcome = await waitFor(waiter, opts.signal, deadline - Date.now());
        if (outcome === 'aborted') return {};
        if (outcome === 'timeout' && !waiter.assigned) {
          return { failure: `no upstream for model "${req.model}" became free within ${queueTimeoutMs} ms` };
        }
      }
      handedOver = true;
      return { member: waiter.assigned };
    } finally {
      const i = queue.indexOf(waiter);
      if (i !== -1) queue.splice(i, 1);
      // Assigned but not handed over (aborted, consumer gone): give the slot back.
      if (waiter.assigned && !handedOver) release(waiter.assigned);
    }
  }

  function noMemberMessage(model: string): string {
    const serving = members.filter((m) => m.serves(model));
    const detail = serving.map((m) => m.lastError).find((e) => e !== undefined);
    return `no upstream can serve model "${model}" now (${serving.length} configured, all failing or with open circuits)${detail ? `: ${detail}` : ''}`;
  }

  async function* chat(req: ChatRequest, opts: ChatOptions): AsyncGenerator<ChatChunk> {
    if (disposed) throw new InferenceError('upstream_error', 'the upstream pool is shutting down');
    await ensureModels();
    if (!members.some((m) => m.serves(req.model))) {
      throw new InferenceError('model_not_found', `no upstream serves model "${req.model}"`);
    }
    const tried = new Set<PoolMember>();
    const state = { yielded: false };
    let lastError: string | undefined;
    for (;;) {
      const { member, failure } = yield* acquire(req, tried, opts, state);
      if (opts.signal.aborted) {
        if (member) release(member);
        yield { type: 'done', finishReason: 'cancelled' };
        return;
      }
      if (!member) {
        const detail = lastError ?? failure ?? 'no upstream available';
        log?.warn({ pool: id, model: req.model, detail }, 'no upstream could serve the request');
        if (!state.yielded && lastError === undefined) {
          throw new InferenceError('upstream_error', MODEL_SERVER_UNAVAILABLE, { detail });
        }
        yield { type: 'done', finishReason: 'error', error: MODEL_SERVER_UNAVAILABLE, detail };
        return;
      }
      tried.add(member);
      const result = yield* attemptOn(member, req, opts, state, { poolId: id, log, release });
      if (result.retry === undefined) return;
      lastError = result.retry;
      log?.warn({ upstream: member.id, pool: id }, 'upstream failed before the first token; trying another');
    }
  }

  async function models(): Promise<ModelInfo[]> {
    await ensureModels();
    const ids = [...new Set(members.flatMap((m) => m.models ?? []))];
    return ids.map((model): ModelInfo => {
      const ready = members.some((m) => m.serves(model) && m.healthy && m.admits);
      // Embedding models (issue 13): as their members describe them.
      const embedding = members.map((m) => m.provider.embeddingInfo(model)).find(Boolean);
      if (embedding) {
        const base = { id: model, provider: id, kind: 'embedding' as const, embedding };
        return ready
          ? { ...base, state: 'ready' }
          : { ...base, state: 'unavailable', detail: noMemberMessage(model) };
      }
      // Every member speaks OpenAI's tool and response_format fields (see `wire.ts`).
      const can = { supportsTools: true, supportsResponseFormat: true };
      return ready
        ? { id: model, provider: id, state: 'ready', ...can }
        : { id: model, provider: id, state: 'unavailable', detail: noMemberMessage(model), ...can };
    });
  }

  return {
    id,
    get queueDepth() {
      return queue.length;
    },
    members: () => members.map((m) => m.status()),
    checkHealth,
    models,
    chat,
    embed: (req, opts) =>
      embedThroughPool(
        { ensureModels, members, pick: (model, tried) => pick(model, tried, undefined), release },
        req,
        opts,
      ),
    async health(): Promise<Health> {
      if (!checkedOnce || timer === undefined) await checkHealth();
      const available = members.filter((m) => m.healthy && m.admits).length;
      const totals = members.map((m) => m.maxConcurrent);
      return {
        ok: available > 0,
        detail: `${available}/${members.length} upstreams available`,
        slotsBusy: members.reduce((n, m) => n + m.outstanding, 0),
        ...(totals.every(Number.isFinite) ? { slotsTotal: totals.reduce((a, b) => a + b, 0) } : {}),
        queueDepth: queue.length,
      };
    },
    async [Symbol.asyncDispose]() {
      disposed = true;
      if (timer) clearInterval(timer);
      for (const w of [...queue]) w.wake();
      await Promise.all(members.map((m) => m.provider[Symbol.asyncDispose]()));
    },
  };
}

/** Resolves when the waiter is woken (assigned or something changed), the signal aborts, or time runs out. */
function waitFor(waiter: Waiter, signal: AbortSignal, ms: number): Promise<'woken' | 'aborted' | 'timeout'> {
  if (signal.aborted) return Promise.resolve('aborted');
  if (ms <= 0) return Promise.resolve('timeout');
  return new Promise((resolve) => {
    const done = (outcome: 'woken' | 'aborted' | 'timeout') => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      waiter.wake = () => {};
      resolve(outcome);
    };
    const onAbort = () => done('aborted');
    const timer = setTimeout(() => done('timeout'), ms);
    signal.addEventListener('abort', onAbort, { once: true });
    waiter.wake = () => done('woken');
  });
}
