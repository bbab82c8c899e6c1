/**
 * `startServer(config)`: what `ponder serve` runs. Opens the store (migrating it), marks generations a
 * crash left running as interrupted, creates the inference providers, builds the app and listens.
 * Graceful shutdown: stop taking new work, let running generations (web and `/v1`) finish within the
 * grace period (shutdown hooks), then close the app, the providers and the store.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RedisLoginThrottle } from '../adapters/redis/login-throttle.ts';
import { RedisCounterStore, RedisRateLimiter } from '../adapters/redis/rate-limit.ts';
import type { PonderConfig } from '../config/schema.ts';
import { deriveSetupCode, SharedRateLimiter } from '../core/accounts/index.ts';
import { createEmbeddedProvider, type EmbeddedProvider } from '../inference/llama/index.ts';
import { modelNameOf, modelsDirOf, resolveModel } from '../inference/llama/model-files.ts';
import {
  DEFAULT_MODEL_NAME,
  DEFAULT_MODEL_SOURCE,
  type PullProgress,
  pullModel,
} from '../inference/llama/pull.ts';
import { ALTERNATIVES } from '../inference/llama/pull-source.ts';
import type { Provider } from '../inference/types.ts';
import { createUpstreamPool, type UpstreamPool } from '../inference/upstream/pool.ts';
import { openStore } from '../store/index.ts';
import type { Store } from '../store/types.ts';
import { type AppDeps, buildApp, type ModelStatus } from './app.ts';
import { createServerCapacity, interruptOrphans } from './capacity.ts';
import { planEmbeddingModel, setUpEmbeddingModel } from './embedding-model.ts';
import { logDestination } from './log-format.ts';
import { missingModelHint } from './model-help.ts';
import { createLogger } from './security/logging.ts';
import { ShutdownHooks } from './shutdown.ts';

export interface StartServerOptions {
  /** Download the default model in the background when it is missing and no upstream is set. Default true. */
  autoPull?: boolean;
  /** Hugging Face endpoint for that download (a mirror; `HF_ENDPOINT`). Default `https://huggingface.co`. */
  hfBaseUrl?: string;
  /** How long running generations may finish on shutdown before they are cancelled. Default 10 000 ms. */
  shutdownGraceMs?: number;
  /** Default: a logger on stdout at `config.logLevel`, JSON or human lines per `config.logFormat`. */
  logger?: Logger;
  /** Prefix of every Redis key when `config.redisUrl` is set. Default `config.redisKeyPrefix` (`ponder:`). */
  redisKeyPrefix?: string;
  /** Extra app dependencies (hooks and services wired by other parts). */
  deps?: Partial<Omit<AppDeps, 'config' | 'store' | 'logger'>>;
}

export interface RunningServer {
  app: FastifyInstance;
  store: Store;
  /** `http://host:port` actually bound. */
  url: string;
  modelStatus(): ModelStatus;
  /** Graceful shutdown; safe to call twice (the second call waits for the first). */
  shutdown(reason?: string): Promise<void>;
}

export const NO_MODEL_HELP =
  'No model is available. Point Ponder at a local GGUF file with --model /path/to/model.gguf ' +
  '(or PONDER_MODEL), download one with `ponder pull`, or use an OpenAI-compatible upstream ' +
  'via PONDER_UPSTREAMS.';

export async function startServer(
  config: PonderConfig,
  options: StartServerOptions = {},
): Promise<RunningServer> {
  const stream = options.logger ? undefined : logDestination(config.logFormat);
  const logger = options.logger ?? createLogger({ level: config.logLevel, ...(stream ? { stream } : {}) });
  const store = await openStore({
    dataDir: config.dataDir,
    ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
    ...(config.masterKey ? { masterKey: config.masterKey } : {}),
    logger,
  });
  const providers: Provider[] = [];
  const pullAbort = new AbortController();
  /** Run last, after the store closed (e.g. quitting Redis). */
  const cleanups: Array<() => Promise<void>> = [];
  try {
    // With Redis (several instances), only orphans are marked, once Redis is up (below).
    if (!config.redisUrl) {
      const interrupted = await store.generations.markAllRunningInterrupted();
      if (interrupted > 0)
        logger.warn({ interrupted }, 'generations left running by a previous process marked interrupted');
    }

    const modelsDir = modelsDirOf(config.dataDir);
    // The embedding model (issue 13): the engine must know from the start which id embeds.
    const embeddingPlan = planEmbeddingModel(config);
    const embedded = createEmbeddedProvider({
      embeddingModels: embeddingPlan.hints,
      // Any model under <dataDir>/models can be named; the configured one is added explicitly below.
      models: (id) => resolveModel(id, { modelsDir, validate: false }).catch(() => undefined),
      slots: config.engine.slots,
      contextSize: config.engine.contextSize,
      batchSize: config.engine.batchSize,
      gpu: config.engine.gpu,
      ...(config.engine.threads ? { threads: config.engine.threads } : {}),
      thinkingBudgets: config.engine.thinkingBudgets,
      logger: logger.child({ component: 'engine' }),
    });
    providers.push(embedded);
    // One pool: several upstreams serving the same model share its load and fail over to each other.
    const upstreamPools: UpstreamPool[] = [];
    if (config.upstreams.length > 0) {
      const pool = createUpstreamPool(config.upstreams, {
        logger: logger.child({ component: 'upstream' }),
        maxEventBytes: config.upstreamMaxEventBytes,
      });
      upstreamPools.push(pool);
      providers.push(pool);
    }
    await setUpEmbeddingModel(config, embeddingPlan, embedded, {
      modelsDir,
      autoPull: options.autoPull ?? true,
      signal: pullAbort.signal,
      ...(options.hfBaseUrl ? { hfBaseUrl: options.hfBaseUrl } : {}),
      logger,
    });
    const model = new DefaultModel(embedded, logger);
    const defaultModel = await model.setUp(config, modelsDir, {
      autoPull: options.autoPull ?? true,
      signal: pullAbort.signal,
      ...(options.hfBaseUrl ? { hfBaseUrl: options.hfBaseUrl } : {}),
    });

    const shutdownHooks = options.deps?.shutdownHooks ?? new ShutdownHooks();
    const shared = sharedState(config, logger, options.redisKeyPrefix ?? config.redisKeyPrefix);
    if (shared) cleanups.push(() => shared.redis.quit().then(() => {}));
    // Admission, quotas, PoW (config knobs), metrics and, with Redis, shared tickets, counters and
    // generation streams. Disposed after the app closed, before Redis quits.
    const secret = powSecret(config, logger);
    const capacity = await createServerCapacity({
      config,
      store,
      ...(shared ? { redis: shared.redis } : {}),
      powSecret: secret,
      keyPrefix: options.redisKeyPrefix ?? config.redisKeyPrefix,
      logger,
    });
    cleanups.unshift(async () => {
      await capacity[Symbol.asyncDispose]();
    });
    if (shared) {
      const keyPrefix = options.redisKeyPrefix ?? config.redisKeyPrefix;
      const interrupted = await interruptOrphans(store, shared.redis, keyPrefix).catch((err: unknown) => {
        throw new Error(`cannot reach Redis at PONDER_REDIS_URL: ${(err as Error)?.message ?? err}`);
      });
      if (interrupted > 0)
        logger.warn({ interrupted }, 'generations whose instance is gone marked interrupted');
    }
    // Derived from the master key (through the PoW secret): the same on every instance and restart.
    const setupCode = deriveSetupCode(secret);
    const app = await buildApp({
      ...(shared ? { rateLimiter: shared.rateLimiter, loginThrottle: shared.loginThrottle } : {}),
      deviceSecret: createHmac('sha256', secret).update('ponder device cookie v1').digest(),
      setupCode,
      ...capacity.deps,
      ...options.deps,
      config,
      store,
      logger,
      providers,
      engine: embedded,
      upstreamPools,
      ...(defaultModel ? { defaultModel } : {}),
      ...(embeddingPlan.id ? { defaultEmbeddingModel: embeddingPlan.id } : {}),
      modelStatus: () => model.status,
      shutdownHooks,
    });
    await app.listen({ host: config.host, port: config.port });
    const address = app.server.address();
    const port = address && typeof address === 'object' ? address.port : config.port;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    logger.info(
      { url, store: store.dialect, model: model.status.model, modelState: model.status.state },
      'ponder listening',
    );
    await announceSetupCode(store, setupCode, url);

    let closing: Promise<void> | undefined;
    const shutdown = (reason = 'shutdown'): Promise<void> => {
      closing ??= (async () => {
        const graceMs = options.shutdownGraceMs ?? 10_000;
        logger.info({ reason, graceMs }, 'shutting down');
        app.ponder.lifecycle.draining = true;
        // Stop accepting connections now; open ones (running streams) stay until the grace period ends.
        app.server.close(() => {});
        pullAbort.abort();
        // The engine child keeps serving the drain; its exit from now on is expected, not a crash.
        embedded.beginShutdown();
        const failed = await shutdownHooks.run(graceMs);
        if (failed.length > 0) logger.warn({ hooks: failed }, 'shutdown hooks failed');
        await app.close();
        for (const provider of providers) {
          await provider[Symbol.asyncDispose]().catch((err: unknown) =>
            logger.warn(
              { provider: provider.id, err: (err as Error)?.name },
              'provider did not close cleanly',
            ),
          );
        }
        await store.close();
        for (const cleanup of cleanups) await cleanup().catch(() => {});
        logger.info('stopped');
      })();
      return closing;
    };
    return { app, store, url, modelStatus: () => model.status, shutdown };
  } catch (err) {
    pullAbort.abort();
    for (const provider of providers) await provider[Symbol.asyncDispose]().catch(() => {});
    await store.close().catch(() => {});
    for (const cleanup of cleanups) await cleanup().catch(() => {});
    throw err;
  }
}

/**
 * With `redisUrl`, login/sign-up throttles live in Redis so every instance sees one count (the sign-up
 * PoW gate is shared through the capacity wiring, with a secret derived from the master key).
 */
function sharedState(
  config: PonderConfig,
  logger: Logger,
  keyPrefix: string,
): { redis: Redis; rateLimiter: SharedRateLimiter; loginThrottle: RedisLoginThrottle } | null {
  if (!config.redisUrl) return null;
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2, lazyConnect: false });
  redis.on('error', (err: Error) => logger.warn({ err: err.name }, 'redis connection error'));
  const counters = new RedisCounterStore({ redis, keyPrefix });
  const limiter = new RedisRateLimiter({ redis, keyPrefix });
  return {
    redis,
    rateLimiter: new SharedRateLimiter(limiter, counters),
    loginThrottle: new RedisLoginThrottle({ redis, keyPrefix }),
  };
}

/**
 * While no account exists, the setup code goes to the terminal (stderr), never to the JSON log: it is
 * a secret, and logs are shipped elsewhere.
 */
async function announceSetupCode(store: Store, code: string, url: string): Promise<void> {
  if ((await store.users.count()) > 0) return;
  process.stderr.write(
    `\nPonder has no admin yet. Open ${url} and sign up with this setup code: ${code}\n` +
      '(or create the admin with `ponder user create --admin`). The first account becomes the admin.\n\n',
  );
}

function powSecret(config: PonderConfig, logger: Logger): Buffer {
  let material: string | Buffer | undefined = config.masterKey;
  if (!material) {
    try {
      material = readFileSync(join(config.dataDir, 'master.key'));
    } catch {
      logger.warn('no master key to derive the PoW secret from: instances will not share PoW challenges');
      return randomBytes(32);
    }
  }
  return createHash('sha256').update('ponder pow secret v1\0').update(material).digest();
}

/** Tracks the default model: resolved, loading, downloading or missing (for `/readyz` and chat). */
class DefaultModel {
  status: ModelStatus = { state: 'missing', detail: NO_MODEL_HELP };

  constructor(
    private readonly embedded: EmbeddedProvider,
    private readonly logger: Logger,
  ) {}

  /** Returns the default model id, if there is one. */
  async setUp(
    config: PonderConfig,
    modelsDir: string,
    opts: { autoPull: boolean; signal: AbortSignal; hfBaseUrl?: string },
  ): Promise<string | undefined> {
    const ref = config.model ?? DEFAULT_MODEL_NAME;
    let path: string | undefined;
    try {
      path = await resolveModel(ref, { modelsDir });
    } catch (err) {
      const hasUpstream = config.upstreams.length > 0;
      if (config.model && hasUpstream) {
        // Not a local file: an upstream model id; the upstream reports its own availability.
        this.status = { state: 'ready', model: config.model };
        return config.model;
      }
      if (!config.model && hasUpstream) {
        const first = config.upstreams.find((u) => u.models?.length)?.models?.[0];
        this.status = first ? { state: 'ready', model: first } : { state: 'ready' };
        return first;
      }
      if (config.model || !opts.autoPull) {
        this.status = { state: 'missing', model: ref, detail: `${(err as Error).message}. ${NO_MODEL_HELP}` };
        this.logger.warn(
          { model: ref, hint: this.hint(config, modelsDir, (err as Error).message) },
          'default model missing; chat answers 503 model_not_ready',
        );
        return ref;
      }
      this.pullDefault(modelsDir, opts, (reason) => this.hint(config, modelsDir, reason));
      return DEFAULT_MODEL_NAME;
    }
    const id =
      config.model && (config.model.includes('/') || config.model.includes('\\'))
        ? modelNameOf(basename(path))
        : ref.replace(/\.gguf$/i, '');
    this.embedded.addModel(id, path);
    this.load(id);
    return id;
  }

  private load(id: string): void {
    this.status = { state: 'loading', model: id };
    this.embedded.load(id).then(
      () => {
        this.status = { state: 'ready', model: id };
        this.logger.info({ model: id }, 'model loaded');
      },
      (err: unknown) => {
        this.status = { state: 'unavailable', model: id, detail: (err as Error)?.message ?? String(err) };
        this.logger.error({ model: id, code: (err as { code?: string })?.code }, 'model failed to load');
      },
    );
  }

  /** The ways on, with this server's real paths, for a person reading the log. */
  private hint(config: PonderConfig, modelsDir: string, reason: string): string {
    const source = DEFAULT_MODEL_SOURCE;
    return missingModelHint({ reason, modelsDir, dataDir: config.dataDir, source });
  }

  private pullDefault(
    modelsDir: string,
    { signal, hfBaseUrl }: { signal: AbortSignal; hfBaseUrl?: string },
    hint: (reason: string) => string,
  ): void {
    const id = DEFAULT_MODEL_NAME;
    this.status = {
      state: 'downloading',
      model: id,
      downloadProgress: 0,
      detail: `downloading ${DEFAULT_MODEL_SOURCE}`,
    };
    this.logger.info({ source: DEFAULT_MODEL_SOURCE }, 'default model missing: downloading it');
    let lastLogged = -1;
    const onProgress = (p: PullProgress) => {
      if (!p.total) return;
      const fraction = Math.min(1, p.bytes / p.total);
      this.status = { ...this.status, downloadProgress: fraction };
      const decile = Math.floor(fraction * 10);
      if (decile > lastLogged) {
        lastLogged = decile;
        this.logger.info({ model: id, progress: Math.round(fraction * 100) }, 'model download progress');
      }
    };
    pullModel(DEFAULT_MODEL_SOURCE, {
      modelsDir,
      onProgress,
      signal,
      ...(hfBaseUrl ? { hfBaseUrl } : {}),
    }).then(
      (result) => {
        this.embedded.addModel(id, result.path);
        this.load(id);
      },
      (err: unknown) => {
        const message = (err as Error)?.message ?? String(err);
        // Offline pull errors already name the alternatives; others get the general help.
        this.status = {
          state: 'missing',
          model: id,
          detail: message.includes('--model') ? message : `${message} ${NO_MODEL_HELP}`,
        };
        if (!signal.aborted)
          this.logger.warn(
            {
              model: id,
              code: (err as { code?: string })?.code,
              hint: hint(message.replace(ALTERNATIVES, '').trim()),
            },
            'default model download failed',
          );
      },
    );
  }
}
