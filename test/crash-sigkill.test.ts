/**
 * Crash and shutdown guarantees with a real `ponder serve` process on the tiny model (SQLite):
 * - SIGKILL in the middle of a generation: after a restart on the same data dir the user message and the
 *   partial answer are there with status `interrupted`, and the database passes `PRAGMA integrity_check`.
 * - SIGTERM in the middle of a generation (`--shutdown-grace 0`): the partial answer is saved as
 *   `interrupted` by the shutdown itself, and the process exits 0.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import type { ConversationDetail } from '../src/api/conversations.ts';
import { ensureTestModel } from '../src/inference/gguf/test-model.ts';
import { collectSse, readSse, type SseEvent, waitFor } from './conversations-helpers.ts';
import { type ServeProcess, SMALL_ENGINE_ENV, serveLeftovers, startServe } from './serve-process.ts';

const { started, dirs, cleanUp } = serveLeftovers();
after(cleanUp);

type Serve = ServeProcess;

function serve(dataDir: string, model: string, extra: string[] = []): Promise<Serve> {
  return startServe(
    ['--data-dir', dataDir, '--model', model, '--no-pull', ...extra],
    SMALL_ENGINE_ENV,
    (child) => started.push(child),
  );
}

function client(url: string) {
  let cookie = '';
  return {
    get cookie() {
      return cookie;
    },
    set cookie(value: string) {
      cookie = value;
    },
    async request(path: string, init: { method?: string; json?: unknown; signal?: AbortSignal } = {}) {
      const headers: Record<string, string> = { origin: url };
      if (cookie) headers.cookie = cookie;
      if (init.json !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${url}${path}`, {
        method: init.method ?? 'GET',
        headers,
        ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
        ...(init.signal ? { signal: init.signal } : {}),
      });
      const set = res.headers.getSetCookie().find((c) => c.startsWith('ponder_session='));
      if (set) cookie = set.split(';')[0]!;
      return res;
    },
  };
}

/**
 * Starts a generation and reads it until some output streamed and at least 1.5 s passed. A random-weight
 * model may end early (an end token): then it tries again in a new conversation, a few times.
 */
async function longGeneration(
  api: ReturnType<typeof client>,
): Promise<{ conversationId: string; events: SseEvent[] }> {
  for (let attempt = 0; attempt < 4; attempt++) {
    const conv = (await (await api.request('/api/conversations', { method: 'POST', json: {} })).json()) as {
      id: string;
    };
    const abort = new AbortController();
    const res = await api.request(`/api/conversations/${conv.id}/messages`, {
      method: 'POST',
      json: { content: `Think about this for a long time, please (${attempt}).` },
      signal: abort.signal,
    });
    assert.equal(res.status, 200);
    const events: SseEvent[] = [];
    let firstOutputAt = 0;
    let ended = false;
    for await (const e of readSse(res)) {
      events.push(e);
      if ((e.event === 'reasoning' || e.event === 'text') && firstOutputAt === 0) firstOutputAt = Date.now();
      if (e.event === 'done') {
        ended = true;
        break;
      }
      if (firstOutputAt > 0 && Date.now() - firstOutputAt >= 1500 && events.length > 10) break;
    }
    if (!ended) return { conversationId: conv.id, events };
    abort.abort();
  }
  throw new Error('the model kept ending its answers early');
}

function integrity(dataDir: string): string {
  const db = new Database(join(dataDir, 'ponder.db'), { readonly: true, fileMustExist: true });
  try {
    return String(db.pragma('integrity_check', { simple: true }));
  } finally {
    db.close();
  }
}

function descendants(pid: number): number[] {
  try {
    const out = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' });
    return out
      .split('\n')
      .filter(Boolean)
      .map(Number)
      .flatMap((child) => [child, ...descendants(child)]);
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('SIGKILL, then SIGTERM, mid-generation: partial answers survive as interrupted, the database is intact', async () => {
  const model = await ensureTestModel('tiny');
  const dataDir = await mkdtemp(join(tmpdir(), 'ponder-crash-'));
  dirs.push(dataDir);

  const first = await serve(dataDir, model);
  const api = client(first.url);
  const signup = await api.request('/api/auth/signup', {
    method: 'POST',
    json: {
      email: 'crash@example.com',
      password: 'correct horse battery staple',
      setupCode: first.setupCode,
    },
  });
  assert.equal(signup.status, 201);
  const { conversationId, events } = await longGeneration(api);
  const meta = events[0]?.data as { generationId: string; userMessageId: string; assistantMessageId: string };
  // Let a partial write land (every 500 ms), then kill without warning, before a random model can finish.
  await new Promise((r) => setTimeout(r, 700));
  const engines = descendants(first.child.pid!);
  first.child.kill('SIGKILL');
  assert.equal((await first.exited).signal, 'SIGKILL');
  // The engine child notices its parent is gone and exits; never leave one behind.
  await waitFor(async () => (engines.every((pid) => !alive(pid)) ? true : undefined), 10_000).catch(() => {
    for (const pid of engines) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });
  assert.equal(integrity(dataDir), 'ok');

  const second = await serve(dataDir, model, ['--shutdown-grace', '0']);
  const detail = (await (
    await client2(second.url, api.cookie).request(`/api/conversations/${conversationId}`)
  ).json()) as ConversationDetail;
  const question = detail.messages.find((m) => m.id === meta.userMessageId);
  const answer = detail.messages.find((m) => m.id === meta.assistantMessageId);
  assert.equal(question?.role, 'user');
  assert.equal(question?.status, 'complete');
  assert.equal(answer?.status, 'interrupted');
  assert.ok((answer?.reasoning.length ?? 0) + (answer?.content.length ?? 0) > 0, 'partial output saved');
  assert.equal(detail.activeGenerationId, undefined);
  // Reattaching to the dead generation replays the saved part and ends.
  const replay = await collectSse(
    await client2(second.url, api.cookie).request(
      `/api/generations/${meta.generationId}/events?lastEventId=5`,
    ),
  );
  assert.equal(replay[0]?.event, 'meta');
  assert.equal(replay.at(-1)?.event, 'done');
  assert.equal((replay.at(-1)?.data as { finishReason?: string } | undefined)?.finishReason, 'cancelled');

  // SIGTERM mid-generation (grace 0): the shutdown itself saves the partial answer as interrupted.
  const api2 = client2(second.url, api.cookie);
  const { events: events2 } = await longGeneration(api2);
  const meta2 = events2[0]?.data as { assistantMessageId: string };
  second.child.kill('SIGTERM');
  assert.equal((await second.exited).code, 0);
  const db = new Database(join(dataDir, 'ponder.db'), { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare('SELECT status FROM messages WHERE id = ?').get(meta2.assistantMessageId) as
      | { status: string }
      | undefined;
    assert.equal(row?.status, 'interrupted');
    const running = db.prepare("SELECT count(*) AS n FROM generations WHERE status = 'running'").get() as {
      n: number;
    };
    assert.equal(running.n, 0);
    assert.equal(String(db.pragma('integrity_check', { simple: true })), 'ok');
  } finally {
    db.close();
  }
});

function client2(url: string, cookie: string) {
  const api = client(url);
  api.cookie = cookie;
  return api;
}
