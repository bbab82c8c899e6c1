/**
 * Builds the capacity side of a server (design §7) from config: admission control, plans, quotas,
 * sign-up PoW and rate limits (`createCapacity`), the app's metrics, and, with `config.redisUrl`, the
 * Redis connection that shares all of it (and in-flight generation streams) between instances.
 *
 * The login/sign-up throttle is not built here: `startServer` shares it on Redis itself.
 *
 * `startServer` calls it; tests call it to get the same wiring on a test server:
 * ```ts
 * await using sc = await createServerCapacity({ config, store, powSecret });
 * buildApp({ ..., ...sc.deps });
 * ```
 */
import { hkdfSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RedisGenerationEventLog } from '../adapters/redis/event-log.ts';
import { createRedisPrimitives } from '../adapters/redis/rate-limit.ts';
import type { PonderConfig } from '../config/schema.ts';
import { type AdmissionObserver, type Capacity, createCapacity } from '../core/admission/index.ts';
import type { GenerationEventLog } from '../core/chat/index.ts';
import type { Store } from '../store/types.ts';
import type { AppDeps } from './context.ts';
import { ServerMetrics } from './metrics.ts';

export interface ServerCapacityOptions {
  config: PonderConfig;
  store: Pick<Store, 'usage'>;
  /** HMAC key of PoW challenges; the same on every instance. Default: `powSecretFor(config)`. */
  powSecret?: Uint8Array;
  /** Prefix of every Redis key. Default `ponder:`. */
  keyPrefix?: string;
  /**
   * A Redis connection to share state on (the caller keeps owning it). Default: one opened from
   * `config.redisUrl` (closed on dispose), or none.
   */
  redis?: Redis;
  /** Generation slots this instance serves. Default: engine slots + upstream capacity. */
  slots?: number;
  logger?: { warn(obj: object, msg?: string): void };
}

export interface ServerCapacity extends AsyncDisposable {
  capacity: Capacity;
  metrics: ServerMetrics;
  /** Present with `config.redisUrl`. */
  redis?: Redis;
  /** Redis-backed with `config.redisUrl`; otherwise undefined (the app keeps its in-memory log). */
  eventLog?: GenerationEventLog;
  /** Redis-backed with `config.redisUrl`: a stop reaches the instance that runs the generation. */
  generationStop?: GenerationStopBus;
  /** What to hand `buildApp` (capacity, metrics, PoW gate, event log, stop bus). */
  deps: Partial<AppDeps>;
  /** Closes the event log, the admission controller and the Redis connection it opened. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * The PoW HMAC key, derived (HKDF-SHA256) from the master key: `config.masterKey`, else the key file
 * in the data dir. Every instance with the same master key derives the same secret. Without either
 * (a fresh data dir before the store created its key file) a random one, good for this process only.
 */
export function powSecretFor(config: Pick<PonderConfig, 'masterKey' | 'dataDir'>): Uint8Array {
  let ikm: Buffer | undefined;
  if (config.masterKey) ikm = Buffer.from(config.masterKey, 'utf8');
  else {
    try {
      ikm = readFileSync(join(config.dataDir, 'master.key'));
    } catch {
      ikm = undefined;
    }
  }
  if (!ikm || ikm.length === 0) return randomBytes(32);
  return new Uint8Array(hkdfSync('sha256', ikm, 'ponder', 'ponder signup pow v1', 32));
}

export async function createServerCapacity(opts: ServerCapacityOptions): Promise<ServerCapacity> {
  const { config } = opts;
  const keyPrefix = opts.keyPrefix ?? 'ponder:';
  const metrics = new ServerMetrics();
  let redis: Redis | undefined = opts.redis;
  const ownsRedis = !redis && Boolean(config.redisUrl);
  if (!redis && config.redisUrl) {
    redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2, connectTimeout: 5000 });
    redis.on('error', (err: Error) => opts.logger?.warn({ err: err.name }, 'redis connection error'));
    try {
      await redis.ping();
    } catch (err) {
      redis.disconnect();
      throw new Error(`cannot reach Redis at PONDER_REDIS_URL: ${(err as Error).message}`);
    }
  }
  const onError: NonNullable<AdmissionObserver['onError']> = (err, op) =>
    opts.logger?.warn({ op, err: (err as Error)?.name }, 'shared admission state failed');
  const capacity = createCapacity({
    config,
    usage: opts.store.usage,
    // Ticket heartbeat failures are admission's shared state failing, like a failed acquire.
    ...(redis
      ? { shared: createRedisPrimitives({ redis, keyPrefix, onError: (err) => onError(err, 'acquire') }) }
      : {}),
    powSecret: opts.powSecret ?? powSecretFor(config),
    observer: { ...metrics.observer, onError },
    admission: {
      maxQueued: config.admission.maxQueued,
      maxQueuedPerUser: config.admission.maxQueuedPerUser,
      maxWaitMs: config.admission.maxWaitMs,
      fairShareWindowMs: config.admission.fairShareWindowMs,
      ...(opts.slots === undefined ? {} : { capacity: opts.slots }),
    },
    pow: {
      onRate: config.signupPow.onRate,
      difficultyBits: config.signupPow.difficultyBits,
      ...(config.signupPow.offRate === undefined ? {} : { offRate: config.signupPow.offRate }),
    },
  });
  metrics.attach({ admission: () => capacity.admission.stats() });
  const eventLog = redis
    ? new RedisGenerationEventLog({
        redis,
        keyPrefix,
        onError: (err, op) =>
          opts.logger?.warn({ op, err: (err as Error)?.name }, 'generation stream on Redis failed'),
      })
    : undefined;
  const generationStop = redis ? redisStopBus(redis, keyPrefix, opts.logger) : undefined;
  const deps: Partial<AppDeps> = {
    capacity,
    metrics,
    powGate: capacity.pow,
    ...(eventLog ? { chat: { eventLog } } : {}),
    ...(generationStop ? { generationStop } : {}),
  };
  return {
    capacity,
    metrics,
    ...(redis ? { redis } : {}),
    ...(eventLog ? { eventLog } : {}),
    ...(generationStop ? { generationStop } : {}),
    deps,
    async [Symbol.asyncDispose]() {
      await generationStop?.[Symbol.asyncDispose]();
      await eventLog?.[Symbol.asyncDispose]();
      await capacity[Symbol.asyncDispose]();
      if (redis && ownsRedis) await redis.quit().catch(() => redis?.disconnect());
    },
  };
}

/**
 * The store with `usage` replaced (e.g. by `quotaRecordingUsage`); everything else is the store's own,
 * bound to it.
 */
export function storeWithUsage(store: Store, usage: Store['usage']): Store {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'usage') return usage;
      const value: unknown = Reflect.get(target, prop);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * Start-up with several instances on one database: a generation another instance is running must not
 * be marked interrupted. Only running generations without a live stream in Redis (their runner is gone:
 * the stream lapses `runningTtlMs` after its last event) are. Returns how many changed.
 */
export async function interruptOrphans(
  store: Pick<Store, 'generations' | 'messages'>,
  redis: Redis,
  keyPrefix: string,
): Promise<number> {
  let changed = 0;
  for (const g of await store.generations.listRunning()) {
    if ((await redis.exists(`${keyPrefix}gen:${g.id}`)) === 1) continue;
    const error = 'interrupted: the server stopped during this generation';
    if (await store.generations.finish(g.id, g.userId, 'interrupted', error)) {
      await store.messages.update(g.assistantMessageId, g.userId, { status: 'interrupted', error });
      changed++;
    }
  }
  return changed;
}

/** Carries "stop this generation" to whichever instance runs it. */
export interface GenerationStopBus extends AsyncDisposable {
  publish(generationId: string, userId: string): Promise<void>;
  /** `handler` runs for every stop published by any instance (this one included). */
  subscribe(handler: (generationId: string, userId: string) => void): void;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Redis pub/sub on `<prefix>stop`; the subscriber connection opens on the first `subscribe`. */
function redisStopBus(
  redis: Redis,
  keyPrefix: string,
  logger?: { warn(obj: object, msg?: string): void },
): GenerationStopBus {
  const channel = `${keyPrefix}stop`;
  const handlers: Array<(generationId: string, userId: string) => void> = [];
  let sub: Redis | undefined;
  return {
    async publish(generationId, userId) {
      await redis.publish(channel, JSON.stringify({ g: generationId, u: userId }));
    },
    subscribe(handler) {
      handlers.push(handler);
      if (sub) return;
      sub = redis.duplicate();
      sub.on('error', (err: Error) => logger?.warn({ err: err.name }, 'redis stop channel error'));
      sub.on('message', (_channel: string, raw: string) => {
        let msg: { g?: unknown; u?: unknown };
        try {
          msg = JSON.parse(raw) as { g?: unknown; u?: unknown };
        } catch {
          return;
        }
        if (typeof msg.g !== 'string' || typeof msg.u !== 'string') return;
        for (const h of handlers) h(msg.g, msg.u);
      });
      void sub
        .subscribe(channel)
        .catch((err: unknown) =>
          logger?.warn({ err: (err as Error)?.name }, 'cannot subscribe to the stop channel'),
        );
    },
    async [Symbol.asyncDispose]() {
      handlers.length = 0;
      if (sub) await sub.quit().catch(() => sub?.disconnect());
    },
  };
}
