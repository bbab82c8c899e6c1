/**
 * Graceful shutdown with a real `ponder serve` process on the tiny model (SQLite), grace 1 s:
 * - SIGTERM to the server mid `/v1` stream: the stream goes on during the grace period, then ends with a
 *   chunk carrying a finish_reason, the usage chunk and `data: [DONE]` (not a cut TCP stream); the engine
 *   child's exit is logged at info ("engine stopped"), never as "died; restarting".
 * - SIGTERM to the whole process group (systemd's default KillMode, `kill -TERM -- -PGID`), with a web
 *   generation and a `/v1` stream running: the engine child keeps serving until the server stops it, the
 *   `/v1` stream ends properly and the web answer reads back `interrupted` (not `error`) after a restart.
 * - The engine child killed in the middle of the drain: logged at info, not restarted, and its answers
 *   still end properly (`/v1`) and are stored `interrupted` (web).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import type { ConversationDetail } from '../src/api/conversations.ts';
import { ensureTestModel } from '../src/inference/gguf/test-model.ts';
import { readSse, type SseEvent, waitFor } from './conversations-helpers.ts';
import { type ServeProcess, startServe } from './serve-process.ts';

const started: ChildProcess[] = [];
const dirs: string[] = [];
const MAX_TOKENS = 3000;

after(async () => {
  for (const child of started) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    // Detached children lead their own group: kill the engine child with them.
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  }
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

function serve(dataDir: string, model: string, detached = false): Promise<ServeProcess> {
  return startServe(
    ['--data-dir', dataDir, '--model', model, '--no-pull', '--shutdown-grace', '1'],
    {
      PONDER_ENGINE_SLOTS: '2',
      PONDER_ENGINE_THREADS: '1',
      PONDER_ENGINE_BATCH_SIZE: '64',
      PONDER_ENGINE_CONTEXT_SIZE: '4096',
      PONDER_LOG_LEVEL: 'info',
      // Two answers at once for one user (a web one and a `/v1` one): the plus plan's concurrency.
      PONDER_DEFAULT_PLAN: 'plus',
    },
    (child) => started.push(child),
    { detached },
  );
}

/** Cookie-carrying fetch against one server, sending the Origin the CSRF check wants. */
function session(url: string, cookie = '') {
  return {
    get cookie() {
      return cookie;
    },
    async request(
      path: string,
      init: { method?: string; json?: unknown; headers?: Record<string, string> } = {},
    ) {
      const headers: Record<string, string> = { origin: url, ...init.headers };
      if (cookie) headers.cookie = cookie;
      if (init.json !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${url}${path}`, {
        method: init.method ?? 'GET',
        headers,
        ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
      });
      const set = res.headers.getSetCookie().find((c) => c.startsWith('ponder_session='));
      if (set) cookie = set.split(';')[0] as string;
      return res;
    },
  };
}

/** Signs up the first admin and creates an API key. */
async function account(server: ServeProcess): Promise<{ api: ReturnType<typeof session>; key: string }> {
  const api = session(server.url);
  const signup = await api.request('/api/auth/signup', {
    method: 'POST',
    json: {
      email: 'drain@example.com',
      password: 'correct horse battery staple',
      setupCode: server.setupCode,
    },
  });
  assert.equal(signup.status, 201);
  const created = await api.request('/api/keys', { method: 'POST', json: { name: 'drain' } });
  assert.equal(created.status, 201);
  return { api, key: ((await created.json()) as { key: string }).key };
}

/** The `data:` payloads of a `/v1` stream, one at a time (`[DONE]` as the string). */
async function* v1Data(res: Response): AsyncGenerator<string> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const chunk = await reader.read();
    if (chunk.done) return;
    buffer += decoder.decode(chunk.value, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      for (const line of block.split('\n')) if (line.startsWith('data: ')) yield line.slice(6);
    }
  }
}

interface V1Stream {
  /** Payloads read so far. */
  seen: string[];
  /** Reads the rest; resolves with every payload once the server ended the stream. */
  rest(): Promise<string[]>;
}

async function modelId(url: string, key: string): Promise<string | undefined> {
  const models = await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
  return ((await models.json()) as { data: Array<{ id: string }> }).data[0]?.id;
}

/** Opens a long `/v1` stream and reads it until a few deltas arrived; retries when the model ends early. */
async function longV1Stream(url: string, key: string): Promise<V1Stream> {
  const model = await modelId(url, key);
  for (let attempt = 0; attempt < 4; attempt++) {
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model,
        messages: [{ role: 'user', content: `Think for a long time (${attempt}).` }],
        stream: true,
        stream_options: { include_usage: true },
        max_tokens: MAX_TOKENS,
      }),
    });
    assert.equal(res.status, 200);
    // Read by hand: `break` out of a `for await` would close the generator and drop the rest.
    const it = v1Data(res);
    const seen: string[] = [];
    for (let r = await it.next(); !r.done; r = await it.next()) {
      seen.push(r.value);
      if (r.value === '[DONE]' || seen.length >= 8) break;
    }
    if (seen.at(-1) === '[DONE]') continue;
    return {
      seen,
      async rest() {
        for await (const data of it) seen.push(data);
        return seen;
      },
    };
  }
  throw new Error('the model kept ending its answers early');
}

/** Asserts a `/v1` stream ended the way Chat Completions clients expect, cut before its max_tokens. */
function assertEndedProperly(all: string[]): void {
  assert.equal(all.at(-1), '[DONE]', `last payloads: ${all.slice(-3).join(' | ')}`);
  const chunks = all.slice(0, -1).map((d) => JSON.parse(d) as Record<string, unknown>);
  assert.ok(!chunks.some((c) => 'error' in c), `no error chunk: ${JSON.stringify(chunks.at(-1))}`);
  type Choice = { finish_reason: string | null };
  const finishes = chunks.flatMap((c) => (c.choices as Choice[]).filter((ch) => ch.finish_reason !== null));
  assert.equal(finishes.length, 1, 'exactly one chunk carries a finish_reason');
  const usage = chunks.at(-1)?.usage as { completion_tokens: number } | undefined;
  assert.ok(usage, 'the usage chunk closes the stream');
  assert.ok(usage.completion_tokens < MAX_TOKENS, 'cut by the shutdown, not run to max_tokens');
}

/** pino JSON lines of the server with this message. */
function logLines(server: ServeProcess, msg: string): Array<{ level: number; msg: string }> {
  return server.output
    .join('')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: number; msg: string })
    .filter((l) => l.msg === msg);
}

function assertEngineStoppedQuietly(server: ServeProcess): void {
  assert.deepEqual(logLines(server, 'embedded engine died; restarting'), []);
  const stopped = logLines(server, 'engine stopped');
  assert.equal(stopped.length, 1, 'one "engine stopped" line');
  assert.equal(stopped[0]?.level, 30, 'logged at info');
}

/** Starts a web answer and reads it until some reasoning streamed; `rest` reads it to its `done`. */
async function longWebAnswer(api: ReturnType<typeof session>) {
  const conv = (await (await api.request('/api/conversations', { method: 'POST', json: {} })).json()) as {
    id: string;
  };
  const res = await api.request(`/api/conversations/${conv.id}/messages`, {
    method: 'POST',
    json: { content: 'Think about this for a long time, please.' },
  });
  assert.equal(res.status, 200);
  const events: SseEvent[] = [];
  const web = readSse(res);
  for (let r = await web.next(); !r.done; r = await web.next()) {
    events.push(r.value);
    if (r.value.event === 'done' || events.filter((x) => x.event === 'reasoning').length >= 3) break;
  }
  assert.notEqual(events.at(-1)?.event, 'done', 'the web answer is still running');
  const meta = events[0]?.data as { assistantMessageId: string } | undefined;
  assert.ok(meta, 'meta event first');
  return {
    conversationId: conv.id,
    assistantMessageId: meta.assistantMessageId,
    async rest(): Promise<SseEvent | undefined> {
      for await (const e of web) events.push(e);
      return events.at(-1);
    },
  };
}

/** The web answer's `done` says cancelled (the stored status is checked apart). */
function assertCut(done: SseEvent | undefined): void {
  assert.equal(done?.event, 'done');
  assert.equal((done?.data as { finishReason?: string } | undefined)?.finishReason, 'cancelled');
}

test('SIGTERM mid /v1 stream: it drains for the grace period, then ends with finish_reason and [DONE]', async () => {
  const model = await ensureTestModel('tiny');
  const dataDir = await mkdtemp(join(tmpdir(), 'ponder-drain-'));
  dirs.push(dataDir);
  const server = await serve(dataDir, model);
  const { key } = await account(server);
  // A non-streamed completion drains too: it answers with what it has, never a dropped connection.
  const whole = fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: await modelId(server.url, key),
      messages: [{ role: 'user', content: 'Go on.' }],
      max_tokens: MAX_TOKENS,
    }),
  });
  const stream = await longV1Stream(server.url, key);
  const before = stream.seen.length;
  server.child.kill('SIGTERM');
  await waitFor(async () => (server.output.join('').includes('"shutting down"') ? true : undefined));
  // New work is refused while the stream drains: the listener is closed, or a kept-alive socket gets 503.
  const late = await fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'x', messages: [{ role: 'user', content: 'hi' }] }),
  }).catch(() => null);
  if (late) {
    assert.equal(late.status, 503);
    assert.ok(late.headers.get('retry-after'));
  }
  const all = await stream.rest();
  assert.ok(all.length > before + 2, 'the stream went on during the grace period');
  assertEndedProperly(all);
  const answered = await whole;
  assert.equal(answered.status, 200);
  const completion = (await answered.json()) as { choices: Array<{ finish_reason: string }> };
  assert.equal(typeof completion.choices[0]?.finish_reason, 'string');
  assert.equal((await server.exited).code, 0);
  assertEngineStoppedQuietly(server);
});

test('SIGTERM to the process group: the engine outlives the drain, answers end interrupted', async () => {
  const model = await ensureTestModel('tiny');
  const dataDir = await mkdtemp(join(tmpdir(), 'ponder-drain-group-'));
  dirs.push(dataDir);
  const first = await serve(dataDir, model, true);
  const { api, key } = await account(first);
  // Three web answers: the random-weight model may end one by itself within the 1 s grace, but hardly all.
  const webs = [await longWebAnswer(api), await longWebAnswer(api), await longWebAnswer(api)];
  const stream = await longV1Stream(first.url, key);

  process.kill(-(first.child.pid as number), 'SIGTERM');
  const [all, ...dones] = await Promise.all([stream.rest(), ...webs.map((w) => w.rest())]);
  assertEndedProperly(all);
  const reasons = dones.map((d) => (d?.data as { finishReason?: string } | undefined)?.finishReason);
  const cutIndex = reasons.indexOf('cancelled');
  assert.ok(cutIndex >= 0, `one web answer was cut by the shutdown: ${reasons.join()}`);
  for (const reason of reasons) assert.ok(['cancelled', 'stop', 'length'].includes(reason ?? ''), reason);
  const web = webs[cutIndex]!;
  assertCut(dones[cutIndex]);
  assert.equal((await first.exited).code, 0);
  assertEngineStoppedQuietly(first);

  const second = await serve(dataDir, model, true);
  const detail = (await (
    await session(second.url, api.cookie).request(`/api/conversations/${web.conversationId}`)
  ).json()) as ConversationDetail;
  const answer = detail.messages.find((m) => m.id === web.assistantMessageId);
  assert.equal(answer?.status, 'interrupted');
  assert.ok((answer?.reasoning.length ?? 0) > 0, 'partial output saved');
  second.child.kill('SIGTERM');
  assert.equal((await second.exited).code, 0);
});

test('the engine dying during the drain is not restarted, and its answers end interrupted', async () => {
  const model = await ensureTestModel('tiny');
  const dataDir = await mkdtemp(join(tmpdir(), 'ponder-drain-kill-'));
  dirs.push(dataDir);
  const server = await serve(dataDir, model);
  const { api, key } = await account(server);
  const web = await longWebAnswer(api);
  const stream = await longV1Stream(server.url, key);
  const engine = (logLines(server, 'embedded engine started')[0] as { pid?: number } | undefined)?.pid;
  assert.ok(engine, 'the engine child runs');

  server.child.kill('SIGTERM');
  await waitFor(async () => (server.output.join('').includes('"shutting down"') ? true : undefined));
  // E.g. the OOM killer, or an init that signals every process: gone in the middle of the drain.
  process.kill(engine, 'SIGKILL');
  const [all, done] = await Promise.all([stream.rest(), web.rest()]);
  assertEndedProperly(all);
  assertCut(done);
  assert.equal((await server.exited).code, 0);
  assertEngineStoppedQuietly(server);
  const stopped = logLines(server, 'engine stopped')[0] as { signal?: string } | undefined;
  assert.equal(stopped?.signal, 'SIGKILL');
  assert.deepEqual(logLines(server, 'embedded engine started').length, 1, 'no restart');

  const db = new Database(join(dataDir, 'ponder.db'), { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare('SELECT status FROM messages WHERE id = ?').get(web.assistantMessageId) as
      | { status: string }
      | undefined;
    assert.equal(row?.status, 'interrupted');
  } finally {
    db.close();
  }
});
