/**
 * Prometheus metrics of one app (design §7), on a registry of its own (never prom-client's global one,
 * so two apps in one process, e.g. tests, do not collide): admission (queue depth and wait, admitted
 * and shed counts, slots busy), generation (tokens, time to first token) and upstream health.
 * `GET /metrics` serves them; `GET /api/admin/status` reads the same numbers.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AdmissionObserver, AdmissionStats } from '../core/admission/index.ts';
import { canEmbed } from '../inference/embeddings.ts';
import type { ChatChunk, ChatOptions, ChatRequest, Provider } from '../inference/types.ts';
import type { PoolMemberStatus } from '../inference/upstream/pool-member.ts';

/** What the gauges read when scraped; each part may be absent (e.g. no admission control configured). */
export interface MetricsSources {
  admission?: () => AdmissionStats;
  /** Members of every upstream pool. */
  upstreams?: () => PoolMemberStatus[];
}

const WAIT_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const TTFT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64];

export class ServerMetrics {
  readonly registry = new Registry();
  /** Hooks for `createCapacity({ observer })`. */
  readonly observer: AdmissionObserver;
  #sources: MetricsSources = {};
  readonly #tokens: Counter<'model'>;
  readonly #ttft: Histogram<'model'>;
  #running = 0;

  constructor() {
    const registers = [this.registry];
    const stats = () => this.#sources.admission?.();
    new Gauge({
      name: 'ponder_queue_depth',
      help: 'Generation requests waiting for a slot',
      registers,
      collect() {
        this.set(stats()?.queued ?? 0);
      },
    });
    new Gauge({
      name: 'ponder_slots_busy',
      help: 'Generation slots in use (admitted and not yet released)',
      registers,
      collect() {
        this.set(stats()?.busy ?? 0);
      },
    });
    new Gauge({
      name: 'ponder_slots_total',
      help: 'Generation slots of this instance (engine slots plus upstream capacity)',
      registers,
      collect() {
        this.set(stats()?.capacity ?? 0);
      },
    });
    const wait = new Histogram({
      name: 'ponder_queue_wait_seconds',
      help: 'Time requests spent in the admission queue, by outcome',
      labelNames: ['outcome'] as const,
      buckets: WAIT_BUCKETS,
      registers,
    });
    const admitted = new Counter({
      name: 'ponder_admitted_total',
      help: 'Generation requests admitted',
      registers,
    });
    const shed = new Counter({
      name: 'ponder_shed_total',
      help: 'Generation requests refused by admission control or quotas, by reason',
      labelNames: ['reason'] as const,
      registers,
    });
    this.#tokens = new Counter({
      name: 'ponder_generated_tokens_total',
      help: 'Completion tokens generated (reasoning included); rate() gives tokens/s',
      labelNames: ['model'] as const,
      registers,
    });
    this.#ttft = new Histogram({
      name: 'ponder_time_to_first_token_seconds',
      help: 'From the provider call to the first reasoning or text token (queue wait excluded)',
      labelNames: ['model'] as const,
      buckets: TTFT_BUCKETS,
      registers,
    });
    const running = () => this.#running;
    new Gauge({
      name: 'ponder_generations_running',
      help: 'Generations streaming from a provider now',
      registers,
      collect() {
        this.set(running());
      },
    });
    const upstreams = () => this.#sources.upstreams?.() ?? [];
    new Gauge({
      name: 'ponder_upstream_healthy',
      help: 'Upstream member health (1 healthy, 0 failing)',
      labelNames: ['upstream'] as const,
      registers,
      collect() {
        this.reset();
        for (const m of upstreams()) this.set({ upstream: m.id }, m.healthy ? 1 : 0);
      },
    });
    new Gauge({
      name: 'ponder_upstream_outstanding',
      help: 'Requests in flight on each upstream member',
      labelNames: ['upstream'] as const,
      registers,
      collect() {
        this.reset();
        for (const m of upstreams()) this.set({ upstream: m.id }, m.outstanding);
      },
    });
    new Gauge({
      name: 'ponder_upstream_circuit_open',
      help: 'Upstream members whose circuit breaker is not closed (1) or closed (0)',
      labelNames: ['upstream'] as const,
      registers,
      collect() {
        this.reset();
        for (const m of upstreams()) this.set({ upstream: m.id }, m.circuit === 'closed' ? 0 : 1);
      },
    });
    this.observer = {
      onAdmitted: (waitMs) => {
        admitted.inc();
        wait.observe({ outcome: 'admitted' }, waitMs / 1000);
      },
      onShed: (code, waitMs) => {
        shed.inc({ reason: code });
        wait.observe({ outcome: 'shed' }, waitMs / 1000);
      },
      onCancelled: (waitMs) => wait.observe({ outcome: 'cancelled' }, waitMs / 1000),
    };
    // Quota refusals are counted here too (they never reach the controller).
    this.countShed = (reason) => shed.inc({ reason });
  }

  /** Counts a refusal decided outside the admission controller (quota). */
  readonly countShed: (reason: string) => void;

  /** Where the gauges read from; later calls replace earlier parts. */
  attach(sources: MetricsSources): void {
    this.#sources = { ...this.#sources, ...sources };
  }

  /** Numbers for `GET /api/admin/status` (the same the gauges report). */
  status(): { slotsBusy: number; slotsTotal: number; queueDepth: number; generationsRunning: number } {
    const s = this.#sources.admission?.();
    return {
      slotsBusy: s?.busy ?? 0,
      slotsTotal: s?.capacity ?? 0,
      queueDepth: s?.queued ?? 0,
      generationsRunning: this.#running,
    };
  }

  /** The provider, measuring time to first token and generated tokens of every stream. */
  meter(provider: Provider): Provider {
    const metrics = this;
    return {
      get id() {
        return provider.id;
      },
      models: () => provider.models(),
      health: () => provider.health(),
      [Symbol.asyncDispose]: () => provider[Symbol.asyncDispose](),
      chat(req: ChatRequest, opts: ChatOptions): AsyncIterable<ChatChunk> {
        return metrics.#metered(provider, req, opts);
      },
      // Embeddings (issue 13) pass through, so the gateway still sees the capability.
      ...(canEmbed(provider) ? { embed: provider.embed.bind(provider) } : {}),
    };
  }

  async *#metered(provider: Provider, req: ChatRequest, opts: ChatOptions): AsyncGenerator<ChatChunk> {
    const model = req.model;
    let started = performance.now();
    let first = true;
    this.#running++;
    try {
      for await (const chunk of provider.chat(req, opts)) {
        // A pool may queue before its first token: measure from when the request got going.
        if (chunk.type === 'queued') started = performance.now();
        else if (first && (chunk.type === 'reasoning' || chunk.type === 'text')) {
          first = false;
          this.#ttft.observe({ model }, (performance.now() - started) / 1000);
        } else if (chunk.type === 'usage' && chunk.completionTokens > 0) {
          this.#tokens.inc({ model }, chunk.completionTokens);
        }
        yield chunk;
      }
    } finally {
      this.#running--;
    }
  }

  /** Prometheus text exposition. */
  async expose(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
