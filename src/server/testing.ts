/**
 * Test harness: a real Ponder HTTP server on 127.0.0.1 with a real store (SQLite in a temp dir, or a
 * fresh PostgreSQL database from `PONDER_TEST_PG_URL`), captured JSON logs, and a sign-up helper.
 * Used by every HTTP test (server, chat, web app).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import type { ApiUser } from '../api/auth.ts';
import { configSchema, type PonderConfig } from '../config/schema.ts';
import type { EmbeddedProvider } from '../inference/llama/index.ts';
import type { Provider } from '../inference/types.ts';
import { openStore } from '../store/index.ts';
import type { Store } from '../store/types.ts';
import { type AppDeps, buildApp } from './app.ts';
import { createServerCapacity, type ServerCapacity } from './capacity.ts';
import { createLogger } from './security/logging.ts';

export interface TestServerOptions {
  /** Default `sqlite`. */
  store?: 'sqlite' | 'postgres';
  config?: Partial<PonderConfig>;
  /** Starts the embedded engine on the generated tiny model and makes it the default model. Default false. */
  withModel?: boolean;
  /**
   * Embeddings (issue 13): the embedded engine also serves the generated `embed-tiny` embedding model
   * (128-d, random weights) as the default embedding model. Default false.
   */
  withEmbeddingModel?: boolean;
  /** Extra or overriding app dependencies (hooks, status callbacks…). */
  deps?: Partial<Omit<AppDeps, 'config' | 'store'>>;
  /**
   * Wires admission control, quotas, the PoW gate and metrics as `ponder serve` does
   * (`createServerCapacity`; Redis when `config.redisUrl` is set, keys under `keyPrefix`). `deps.chat`
   * is merged over the capacity's chat options. Default off: generations are admitted at once.
   */
  capacity?: boolean | { keyPrefix?: string; slots?: number };
  /** The setup code the first sign-up needs (as `ponder serve` asks). Default `TEST_SETUP_CODE`; null: none. */
  setupCode?: string | null;
}

export interface TestServer {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  baseUrl: string;
  app: FastifyInstance;
  store: Store;
  config: PonderConfig;
  /** Every JSON log line the app wrote, as raw text. */
  logs: string[];
  /** The embedded provider when `withModel` was set. */
  provider?: Provider;
  /** Present when `capacity` was asked for. */
  capacity?: ServerCapacity;
  /** What the first sign-up must bring (null when the server asks none). */
  setupCode: string | null;
  /**
   * Signs up over HTTP (as a browser would) and returns the `Cookie` header value to send back. The
   * first account (the admin) brings the setup code.
   */
  signup(email?: string, password?: string): Promise<{ cookie: string; user: ApiUser }>;
  /** `fetch` relative to `baseUrl`, adding `Origin` (for state-changing requests) and the given cookie. */
  request(path: string, init?: RequestInit & { cookie?: string; json?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

export const TEST_PASSWORD = 'correct horse battery staple';
export const TEST_SETUP_CODE = 'TESTS-SETUP';
let counter = 0;

export function testPgUrl(): string {
  return process.env.PONDER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
}

/** Creates an empty PostgreSQL database; returns its URL and a function that drops it. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = testPgUrl();
  const name = `ponder_t_${process.pid}_${Date.now().toString(36)}_${++counter}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ponder-test-'));
  const cleanups: Array<() => Promise<void>> = [() => rm(dataDir, { recursive: true, force: true })];
  const runCleanups = async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => {});
  };
  try {
    let databaseUrl: string | undefined;
    if (options.store === 'postgres') {
      const db = await createTestDatabase();
      databaseUrl = db.url;
      cleanups.push(db.drop);
    }
    const config = configSchema.parse({
      logLevel: 'info',
      ...options.config,
      dataDir,
      host: '127.0.0.1',
      port: 0,
      ...(databaseUrl ? { databaseUrl } : {}),
    });
    const logs: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(line);
        done();
      },
    });
    const logger = createLogger({ level: config.logLevel, stream });
    const store = await openStore({
      dataDir,
      ...(databaseUrl ? { databaseUrl } : {}),
      masterKey: 'a'.repeat(64),
      logger,
      poolSize: 4,
    });
    cleanups.push(() => store.close());

    let provider: EmbeddedProvider | undefined;
    let defaultModel: string | undefined;
    if (options.withModel || options.withEmbeddingModel) {
      const { ensureTestModel } = await import('../inference/gguf/test-model.ts');
      const { createEmbeddedProvider } = await import('../inference/llama/index.ts');
      const models: Record<string, string> = {};
      if (options.withModel) {
        defaultModel = 'tiny';
        models.tiny = await ensureTestModel('tiny');
      }
      if (options.withEmbeddingModel) models['embed-tiny'] = await ensureTestModel('embed-tiny');
      const embedded = createEmbeddedProvider({
        models,
        defaultModel,
        slots: 2,
        contextSize: 1024,
        batchSize: 64,
        threads: 1,
      });
      provider = embedded;
      cleanups.push(() => embedded[Symbol.asyncDispose]());
    }

    let capacity: ServerCapacity | undefined;
    if (options.capacity) {
      const opts = options.capacity === true ? {} : options.capacity;
      const slots = opts.slots ?? (provider ? 2 : undefined);
      capacity = await createServerCapacity({
        config,
        store,
        powSecret: new Uint8Array(32).fill(7),
        ...(opts.keyPrefix ? { keyPrefix: opts.keyPrefix } : {}),
        ...(slots === undefined ? {} : { slots }),
      });
      const owned = capacity;
      cleanups.push(() => owned[Symbol.asyncDispose]());
    }
    const capacityDeps = capacity?.deps ?? {};
    const setupCode = options.setupCode === undefined ? TEST_SETUP_CODE : options.setupCode;
    const app = await buildApp({
      config,
      store,
      logger,
      ...(setupCode ? { setupCode } : {}),
      // Tests sign up many users from 127.0.0.1.
      throttle: { signupPerIp: { limit: 10_000, windowMs: 60_000 } },
      // Tests sign up faster than any real flood; the gate has its own test.
      powGate: null,
      ...(provider ? { providers: [provider], engine: provider } : {}),
      ...(defaultModel ? { defaultModel } : {}),
      ...(options.withEmbeddingModel ? { defaultEmbeddingModel: 'embed-tiny' } : {}),
      ...(provider && defaultModel
        ? { modelStatus: () => ({ state: 'ready' as const, model: defaultModel }) }
        : {}),
      ...capacityDeps,
      ...options.deps,
      ...(capacityDeps.chat || options.deps?.chat
        ? { chat: { ...capacityDeps.chat, ...options.deps?.chat } }
        : {}),
    });
    // Closed as `ponder serve` shuts down (start.ts): the shutdown hooks first — they stop the children
    // services start (the documents parser, MCP stdio servers), which would otherwise keep the test
    // process alive — then the app. Registered before `listen` so a failed listen still runs them.
    cleanups.push(() => app.close());
    cleanups.push(() => runShutdownHooks(app));
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (!address || typeof address === 'string') throw new Error('test server has no TCP address');
    const baseUrl = `http://127.0.0.1:${address.port}`;

    const request: TestServer['request'] = (path, init = {}) => {
      const { cookie, json, headers, ...rest } = init;
      const h = new Headers(headers);
      const method = (rest.method ?? 'GET').toUpperCase();
      if (method !== 'GET' && method !== 'HEAD' && !h.has('origin')) h.set('origin', baseUrl);
      if (cookie) h.set('cookie', cookie);
      let body = rest.body;
      if (json !== undefined) {
        h.set('content-type', 'application/json');
        body = JSON.stringify(json);
      }
      return fetch(`${baseUrl}${path}`, { ...rest, method, headers: h, body: body ?? null });
    };

    let closed = false;
    return {
      baseUrl,
      app,
      store,
      config,
      logs,
      ...(provider ? { provider } : {}),
      ...(capacity ? { capacity } : {}),
      request,
      setupCode,
      async signup(email, password = TEST_PASSWORD) {
        const address = email ?? `user${++counter}-${Date.now().toString(36)}@example.com`;
        const first = setupCode !== null && (await store.users.count()) === 0;
        const res = await request('/api/auth/signup', {
          method: 'POST',
          json: { email: address, password, ...(first ? { setupCode } : {}) },
        });
        if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${await res.text()}`);
        const cookie = sessionCookieOf(res);
        const { user } = (await res.json()) as { user: ApiUser };
        return { cookie, user };
      },
      async close() {
        if (closed) return;
        closed = true;
        await runCleanups();
      },
    };
  } catch (err) {
    await runCleanups();
    throw err;
  }
}

/** Grace given to running work when a test server closes: tests close once their requests are done. */
const TEST_SHUTDOWN_GRACE_MS = 500;
/** Hooks get their grace, then this long to cancel what remains, before close goes on without them. */
const TEST_SHUTDOWN_LIMIT_MS = 10_000;

/** The app's shutdown hooks, as real shutdown runs them, bounded so that a stuck hook cannot hang a test. */
async function runShutdownHooks(app: FastifyInstance): Promise<void> {
  app.ponder.lifecycle.draining = true;
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), TEST_SHUTDOWN_GRACE_MS + TEST_SHUTDOWN_LIMIT_MS);
  });
  try {
    const outcome = await Promise.race([app.ponder.shutdownHooks.run(TEST_SHUTDOWN_GRACE_MS), limit]);
    if (outcome === 'timeout') app.log.warn('shutdown hooks did not finish in time; closing anyway');
    else if (outcome.length > 0) app.log.warn({ hooks: outcome }, 'shutdown hooks failed');
  } finally {
    clearTimeout(timer);
  }
}

/** `ponder_session=…` from a response's `Set-Cookie`, ready for a `Cookie` header. */
export function sessionCookieOf(res: Response): string {
  for (const line of res.headers.getSetCookie()) {
    const match = /^(ponder_session=[^;]+)/.exec(line);
    if (match?.[1]) return match[1];
  }
  throw new Error('no session cookie in the response');
}
