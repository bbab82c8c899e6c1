/**
 * Graceful shutdown of stateless completions, on a real SQLite store and a scripted OpenAI-compatible
 * upstream (a real HTTP server) that holds its stream open until the test lets it go.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type ChatChunk, InferenceError } from '../../inference/types.ts';
import { createUpstreamProvider } from '../../inference/upstream/provider.ts';
import {
  chatStream,
  type ScriptedUpstream,
  startScriptedUpstream,
} from '../../inference/upstream/scripted-upstream.ts';
import { openStore } from '../../store/index.ts';
import type { Store } from '../../store/types.ts';
import { type AcquireHook, InferenceGateway } from '../inference-gateway.ts';
import { testPipeline } from '../turns/testing.ts';
import { CompletionService, SHUTDOWN_INTERRUPTED } from './completion-service.ts';

let dir: string;
let store: Store;
let upstream: ScriptedUpstream;
let caller: { userId: string; plan: string; apiKeyId: null };
const request = { model: 'r1-test', messages: [{ role: 'user' as const, content: 'hi' }] };

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ponder-completions-'));
  store = await openStore({ dataDir: dir, masterKey: 'e'.repeat(64) });
  upstream = await startScriptedUpstream({ models: ['r1-test'] });
  const user = await store.users.create({ email: 'v1@example.com', passwordHash: 'x', plan: 'free' });
  caller = { userId: user.id, plan: 'free', apiKeyId: null };
});

after(async () => {
  await upstream?.close();
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

function service(acquire?: AcquireHook): CompletionService {
  const provider = createUpstreamProvider({
    id: 'scripted',
    baseUrl: upstream.baseUrl,
    reasoningFormat: 'auto',
  });
  const gateway = new InferenceGateway({ providers: [provider], ...(acquire ? { acquire } : {}) });
  return new CompletionService({ pipeline: testPipeline(gateway), store });
}

/** An upstream answer that streams its first reasoning delta, then waits for `gate`. */
function heldStream(gate: Promise<unknown>): void {
  const lines = chatStream({ reasoning: ['\n', 'first'], content: ['late'] });
  const held = lines.findIndex((l) => l.includes('late'));
  upstream.enqueue({ lines: lines.map((line, i) => (i === held ? { line, gate } : line)) });
}

test('shutdown drains a running completion until the deadline, then ends it with done cancelled', async () => {
  const completions = service();
  let release!: () => void;
  heldStream(new Promise<void>((resolve) => (release = resolve)));
  const chunks = completions.complete(caller, request, new AbortController().signal)[Symbol.asyncIterator]();
  const seen: ChatChunk[] = [];
  while (!seen.some((c) => c.type === 'reasoning' && c.text.includes('first'))) {
    const r = await chunks.next();
    assert.ok(!r.done);
    seen.push(r.value);
  }

  completions.closeForNewCompletions();
  await assert.rejects(
    completions.complete(caller, request, new AbortController().signal).next(),
    (err: unknown) => err instanceof InferenceError && err.code === 'overloaded',
  );
  const deadline = new AbortController();
  let drained = false;
  const draining = completions.drain(deadline.signal).then(() => {
    drained = true;
  });
  // Still running: drain waits for it (or the deadline).
  await new Promise((r) => setImmediate(r));
  assert.equal(drained, false);
  deadline.abort();
  await draining;

  const reading = (async () => {
    for (let r = await chunks.next(); !r.done; r = await chunks.next()) seen.push(r.value);
  })();
  await completions.shutdown(5000);
  await reading;
  release();
  assert.deepEqual(seen.at(-1), { type: 'done', finishReason: 'cancelled', error: SHUTDOWN_INTERRUPTED });
  assert.ok(!seen.some((c) => c.type === 'text'), 'nothing after the cut');
});

test('a completion still queued when shutdown cuts it is refused as overloaded (503), never started', async () => {
  let queuedAt: (() => void) | undefined;
  const queued = new Promise<void>((resolve) => (queuedAt = resolve));
  const waitForever: AcquireHook = (_subject, wait) =>
    new Promise((_resolve, reject) => {
      wait.onQueued?.(1);
      queuedAt?.();
      wait.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    });
  const completions = service(waitForever);
  const chunks = completions.complete(caller, request, new AbortController().signal)[Symbol.asyncIterator]();
  const first = chunks.next();
  await queued;
  assert.equal(((await first).value as ChatChunk).type, 'queued');
  const next = chunks.next();
  await completions.shutdown(5000);
  await assert.rejects(next, (err: unknown) => err instanceof InferenceError && err.code === 'overloaded');
});
