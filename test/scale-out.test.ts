/**
 * Scale-out: two real `ponder serve` processes on one PostgreSQL database and one Redis (own key
 * prefix), the same master key, each with the generated tiny model. Shows that a user's concurrency cap,
 * a daily quota, a running generation's stream (and its stop) and the sign-up PoW gate are shared
 * across the instances.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { solvePow } from '../src/core/rate-limit/index.ts';
import { ensureTestModel } from '../src/inference/gguf/test-model.ts';
import { createTestDatabase } from '../src/server/testing.ts';
import { readSse, type SseEvent, waitFor } from './conversations-helpers.ts';
import { type ServeProcess, startServe } from './serve-process.ts';

const REDIS_URL = process.env.PONDER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `ponder-test-scale:${randomUUID()}:`;
const PASSWORD = 'correct horse battery staple';
const PLAN = { tokensPerDay: 10_000_000, maxConcurrency: 1, priority: 1, maxThinkingBudget: 64 };
const THINK = { enabled: true, budgetTokens: 16 };

type Instance = ServeProcess;

const dirs: string[] = [];
const children: ChildProcess[] = [];
let dropDb: (() => Promise<void>) | undefined;
let a: Instance;
let b: Instance;

async function serve(env: Record<string, string>, model: string): Promise<Instance> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ponder-scale-'));
  dirs.push(dataDir);
  return startServe(
    ['--data-dir', dataDir, '--model', model, '--no-pull'],
    {
      PONDER_ENGINE_SLOTS: '2',
      PONDER_ENGINE_THREADS: '1',
      PONDER_ENGINE_BATCH_SIZE: '64',
      PONDER_ENGINE_CONTEXT_SIZE: '4096',
      PONDER_LOG_LEVEL: 'warn',
      ...env,
    },
    (child) => children.push(child),
  );
}

/** `fetch` on one instance with the user's cookie and that instance's own Origin. */
function call(
  instance: Instance,
  path: string,
  init: { method?: string; cookie?: string; json?: unknown; headers?: Record<string, string> } = {},
): Promise<Response> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = { ...init.headers };
  if (method !== 'GET') headers.origin = instance.url;
  if (init.cookie) headers.cookie = init.cookie;
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${instance.url}${path}`, {
    method,
    headers,
    ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
  });
}

async function signup(instance: Instance, email: string): Promise<{ cookie: string; id: string }> {
  const res = await call(instance, '/api/auth/signup', {
    method: 'POST',
    // The first account (the admin) needs the code printed at start; later sign-ups need none.
    json: { email, password: PASSWORD, ...(instance.setupCode ? { setupCode: instance.setupCode } : {}) },
  });
  assert.equal(res.status, 201, await res.clone().text());
  const cookie = /^(ponder_session=[^;]+)/.exec(res.headers.getSetCookie()[0] ?? '')?.[1];
  assert.ok(cookie);
  return { cookie, id: ((await res.json()) as { user: { id: string } }).user.id };
}

async function send(instance: Instance, cookie: string): Promise<Response> {
  const conv = await call(instance, '/api/conversations', { method: 'POST', cookie, json: {} });
  assert.equal(conv.status, 201);
  const { id } = (await conv.json()) as { id: string };
  return call(instance, `/api/conversations/${id}/messages`, {
    method: 'POST',
    cookie,
    json: { content: 'hello', thinking: THINK },
  });
}

/** Reads events until `stop` says so; returns them and the iterator to keep reading. */
async function readUntil(
  events: AsyncGenerator<SseEvent>,
  stop: (e: SseEvent) => boolean,
): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for (;;) {
    const next = await events.next();
    if (next.done) return out;
    out.push(next.value);
    if (stop(next.value)) return out;
  }
}

const isDelta = (e: SseEvent) => e.event === 'reasoning' || e.event === 'text';

/** The generation id from the `meta` event a stream starts with. */
function generationOf(events: SseEvent[]): string {
  const meta = events[0];
  assert.equal(meta?.event, 'meta');
  return (meta.data as { generationId: string }).generationId;
}

before(async () => {
  const model = await ensureTestModel('tiny');
  const db = await createTestDatabase();
  dropDb = db.drop;
  const configDir = await mkdtemp(join(tmpdir(), 'ponder-scale-config-'));
  dirs.push(configDir);
  const configFile = join(configDir, 'ponder.config.json');
  await writeFile(
    configFile,
    JSON.stringify({
      plans: {
        free: { ...PLAN, reasoningMessagesPerDay: 100 },
        tiny: { ...PLAN, reasoningMessagesPerDay: 1 },
      },
      defaultPlan: 'free',
      admission: { maxQueuedPerUser: 1, maxWaitMs: 30_000 },
      // The test signs up 3 people first; the 4th sign-up in a minute (on either instance) needs PoW.
      signupPow: { onRate: 4, difficultyBits: 10 },
    }),
  );
  const env = {
    PONDER_DATABASE_URL: db.url,
    PONDER_REDIS_URL: REDIS_URL,
    PONDER_REDIS_KEY_PREFIX: PREFIX,
    PONDER_MASTER_KEY: randomBytes(32).toString('hex'),
    PONDER_CONFIG: configFile,
  };
  // One after the other: the first migrates the database.
  a = await serve(env, model);
  b = await serve(env, model);
});

after(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await Promise.all([a?.exited, b?.exited].filter(Boolean));
  await dropDb?.().catch(() => {});
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

test('two instances share the concurrency cap, running streams, stops, quotas and the PoW gate', async () => {
  // Derived from the shared master key: every instance prints and accepts the same setup code.
  assert.ok(a.setupCode);
  assert.equal(b.setupCode, a.setupCode);
  const admin = await signup(a, `admin-${randomUUID()}@example.com`);
  // Signed up on B, used on both: sessions live in the shared database.
  const user = await signup(b, `user-${randomUUID()}@example.com`);

  // A generation runs on instance A.
  const onA = await send(a, user.cookie);
  assert.equal(onA.status, 200);
  const streamA = readSse(onA);
  const startA = await readUntil(streamA, isDelta);
  const generationId = generationOf(startA);

  // Its stream, reattached through instance B after id 1, continues exactly at id 2 while it runs.
  const reattached = await call(b, `/api/generations/${generationId}/events`, {
    cookie: user.cookie,
    headers: { 'last-event-id': '1' },
  });
  assert.equal(reattached.status, 200);
  const streamB = readSse(reattached);
  const firstOnB = await readUntil(streamB, (e) => (e.id ?? 0) >= 4);
  assert.deepEqual(
    firstOnB.map((e) => e.id),
    [2, 3, 4],
  );
  assert.ok(firstOnB.every((e) => e.event !== 'meta' && e.event !== 'done'));

  // The same user on instance B: the plan allows one generation at a time, across instances → queued.
  const onB = await send(b, user.cookie);
  assert.equal(onB.status, 200);
  const streamOnB = readSse(onB);
  const waitingOnB = await readUntil(
    streamOnB,
    (e) => e.event === 'queued' || isDelta(e) || e.event === 'done',
  );
  assert.equal(waitingOnB.at(-1)?.event, 'queued', waitingOnB.map((e) => e.event).join(','));

  // Stopping A's generation through B (the stop travels to A) frees the user's place: B's turn
  // starts; the reattached stream ends.
  const stop = await call(b, `/api/generations/${generationId}/stop`, {
    method: 'POST',
    cookie: user.cookie,
  });
  assert.equal(stop.status, 200);
  const restOnB = await readUntil(streamB, (e) => e.event === 'done');
  const doneOnB = restOnB.at(-1);
  assert.equal(doneOnB?.event, 'done');
  assert.equal((doneOnB.data as { finishReason: string }).finishReason, 'cancelled');
  const ids = [...firstOnB, ...restOnB].map((e) => e.id ?? 0);
  assert.deepEqual(
    ids,
    ids.map((_, i) => i + 2),
    'contiguous ids through the other instance',
  );
  await readUntil(streamA, (e) => e.event === 'done');

  const admittedOnB = await readUntil(streamOnB, (e) => isDelta(e) || e.event === 'done');
  assert.ok(isDelta(admittedOnB.at(-1) as SseEvent), admittedOnB.map((e) => e.event).join(','));
  const metaB = generationOf(waitingOnB);
  await call(b, `/api/generations/${metaB}/stop`, { method: 'POST', cookie: user.cookie });
  await readUntil(streamOnB, (e) => e.event === 'done');

  // A daily quota holds across instances: one reasoning message on A, the next one on B is refused.
  const limited = await signup(a, `quota-${randomUUID()}@example.com`);
  const assign = await call(a, `/api/admin/users/${limited.id}`, {
    method: 'PATCH',
    cookie: admin.cookie,
    json: { plan: 'tiny' },
  });
  assert.equal(assign.status, 200);
  const first = await send(a, limited.cookie);
  assert.equal(first.status, 200);
  const firstStream = readSse(first);
  const firstStart = await readUntil(firstStream, isDelta);
  const firstId = generationOf(firstStart);
  await call(a, `/api/generations/${firstId}/stop`, { method: 'POST', cookie: limited.cookie });
  await readUntil(firstStream, (e) => e.event === 'done');
  const usage = await waitFor(async () => {
    const res = await call(b, '/api/usage', { cookie: limited.cookie });
    const body = (await res.json()) as { plan: string; reasoningMessages: { used: number; limit: number } };
    return body.reasoningMessages.used === 1 ? body : undefined;
  }, 10_000);
  assert.equal(usage.plan, 'tiny');
  const second = await send(b, limited.cookie);
  assert.equal(second.status, 429);
  assert.ok(Number(second.headers.get('retry-after')) >= 1);
  assert.equal(((await second.json()) as { error: { code: string } }).error.code, 'quota_exceeded');

  // Sign-up under fire: the burst is counted across instances, and a challenge issued by one instance
  // is accepted by the other (same secret from the same master key), once.
  let challenge: { challenge: string; difficulty: number } | undefined;
  for (let i = 0; i < 6 && !challenge; i++) {
    const res = await call(a, '/api/auth/signup', {
      method: 'POST',
      json: { email: `burst-${i}-${randomUUID()}@example.com`, password: PASSWORD },
    });
    if (res.status === 428) {
      challenge = ((await res.json()) as { error: { details: { challenge: string; difficulty: number } } })
        .error.details;
    } else assert.equal(res.status, 201);
  }
  assert.ok(challenge, 'the PoW gate switched on');
  const required = (await (await call(b, '/api/auth/pow')).json()) as { required: boolean };
  assert.equal(required.required, true, 'instance B sees the same sign-up rate');
  const pow = { challenge: challenge.challenge, nonce: solvePow(challenge.challenge, challenge.difficulty) };
  const solved = await call(b, '/api/auth/signup', {
    method: 'POST',
    json: { email: `solver-${randomUUID()}@example.com`, password: PASSWORD, pow },
  });
  assert.equal(solved.status, 201);
  const replay = await call(a, '/api/auth/signup', {
    method: 'POST',
    json: { email: `replay-${randomUUID()}@example.com`, password: PASSWORD, pow },
  });
  assert.equal(replay.status, 428);

  // Both instances report their own slots; nothing is left running.
  for (const instance of [a, b]) {
    const status = (await (await call(instance, '/api/admin/status', { cookie: admin.cookie })).json()) as {
      slotsTotal: number;
      queueDepth: number;
    };
    assert.equal(status.slotsTotal, 2);
    assert.equal(status.queueDepth, 0);
  }
});
