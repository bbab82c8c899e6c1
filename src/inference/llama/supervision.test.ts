import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { ensureTestModel } from '../gguf/test-model.ts';
import { assertWellFormed } from '../provider-contract.ts';
import { createEmbeddedProvider, type EmbeddedProvider, type EngineLogger } from './index.ts';
import { collect, doneOf } from './test-helpers.ts';

describe('embedded engine supervision', () => {
  let p: EmbeddedProvider;
  const logged: { level: string; obj: object; msg: string }[] = [];
  const logger: EngineLogger = {
    info: (obj, msg) => logged.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => logged.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => logged.push({ level: 'error', obj, msg }),
  };

  before(async () => {
    p = createEmbeddedProvider({
      models: { tiny: await ensureTestModel('tiny') },
      slots: 2,
      contextSize: 1024,
      batchSize: 64,
      threads: 1,
      ignoreEos: true,
      restartBackoffMs: 50,
      logger,
    });
    await p.load('tiny');
  });
  after(async () => {
    await p?.[Symbol.asyncDispose]();
  });

  test('the engine child runs with one libuv thread (set before Node starts)', async (t) => {
    const pid = p.enginePid;
    assert.ok(pid);
    let environ: string;
    try {
      environ = await readFile(`/proc/${pid}/environ`, 'latin1');
    } catch {
      t.skip('no /proc on this platform');
      return;
    }
    assert.ok(environ.split('\0').includes('UV_THREADPOOL_SIZE=1'));
  });

  test('a killed engine ends in-flight requests with done: error, then restarts', async () => {
    const pid = p.enginePid;
    assert.ok(pid);
    const chunks = await collect(
      p.chat(
        { model: 'tiny', messages: [{ role: 'user', content: 'hi' }], maxTokens: 900 },
        { signal: AbortSignal.timeout(60_000) },
      ),
      (c, all) => {
        if (c.type === 'reasoning' && all.filter((x) => x.type === 'reasoning').length === 2)
          process.kill(pid, 'SIGKILL');
      },
    );
    assertWellFormed(chunks);
    const done = doneOf(chunks);
    assert.equal(done.finishReason, 'error');
    assert.match(done.error ?? '', /restart/);
    assert.ok(chunks.filter((c) => c.type === 'reasoning').length >= 2, 'output before the crash is kept');
    const crashLog = logged.filter((l) => l.level === 'error');
    assert.equal(crashLog.length, 1, 'one clear log line');
    assert.match(crashLog[0]?.msg ?? '', /engine died/);

    // The next request gets a fresh engine, which reloads the model lazily.
    const next = await collect(
      p.chat(
        { model: 'tiny', messages: [{ role: 'user', content: 'again' }], maxTokens: 4 },
        { signal: AbortSignal.timeout(60_000) },
      ),
    );
    assert.deepEqual(next.at(-1), { type: 'done', finishReason: 'length' });
    assert.notEqual(p.enginePid, pid);
    assert.equal((await p.health()).ok, true);
  });

  test('shutdown: the engine outlives SIGTERM; once shutdown began, its exit is logged at info, not restarted, and ends answers cancelled', async () => {
    const seen: { level: string; obj: object; msg: string }[] = [];
    const record = (level: string) => (obj: object, msg?: string) =>
      seen.push({ level, obj, msg: msg ?? '' });
    await using q = createEmbeddedProvider({
      models: { tiny: await ensureTestModel('tiny') },
      slots: 1,
      contextSize: 1024,
      batchSize: 64,
      threads: 1,
      ignoreEos: true,
      restartBackoffMs: 50,
      logger: { info: record('info'), warn: record('warn'), error: record('error') },
    });
    await q.load('tiny');
    const pid = q.enginePid;
    assert.ok(pid);
    const ask = (maxTokens: number) =>
      q.chat(
        { model: 'tiny', messages: [{ role: 'user', content: 'hi' }], maxTokens },
        { signal: AbortSignal.timeout(60_000) },
      );
    q.beginShutdown();
    // The whole process group got SIGTERM (systemd, a terminal): the engine serves on until told to stop.
    process.kill(pid, 'SIGTERM');
    assert.deepEqual((await collect(ask(8))).at(-1), { type: 'done', finishReason: 'length' });
    assert.equal(q.enginePid, pid);

    const chunks = await collect(ask(900), (c, all) => {
      if (c.type === 'reasoning' && all.filter((x) => x.type === 'reasoning').length === 2)
        process.kill(pid, 'SIGKILL');
    });
    assertWellFormed(chunks);
    assert.deepEqual(doneOf(chunks), {
      type: 'done',
      finishReason: 'cancelled',
      error: 'interrupted: the server is shutting down',
    });
    assert.deepEqual(
      seen.filter((l) => l.level !== 'info'),
      [],
    );
    const stopped = seen.filter((l) => l.msg === 'engine stopped');
    assert.equal(stopped.length, 1);
    assert.equal((stopped[0]?.obj as { signal?: string } | undefined)?.signal, 'SIGKILL');
    assert.equal(q.enginePid, undefined, 'not restarted');
    await assert.rejects(collect(ask(4)), (err: unknown) => (err as { code?: string }).code === 'overloaded');
  });

  test('dispose stops the engine child', async () => {
    const pid = p.enginePid;
    assert.ok(pid);
    await p[Symbol.asyncDispose]();
    assert.throws(() => process.kill(pid, 0), /ESRCH/);
    assert.equal((await p.health()).ok, false);
  });
});
