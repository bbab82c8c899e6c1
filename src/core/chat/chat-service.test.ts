/**
 * The chat turn at the core level, on a real SQLite store and a scripted OpenAI-compatible upstream
 * (a real HTTP server), so each answer's reasoning and text are known exactly.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { GenerationEvent } from '../../api/conversations.ts';
import { createUpstreamProvider } from '../../inference/upstream/provider.ts';
import {
  chatStream,
  type ScriptedUpstream,
  startScriptedUpstream,
} from '../../inference/upstream/scripted-upstream.ts';
import { openStore } from '../../store/index.ts';
import type { Store } from '../../store/types.ts';
import { AdmissionError } from '../admission/errors.ts';
import { type AcquireHook, InferenceGateway } from '../inference-gateway.ts';
import { testPipeline } from '../turns/testing.ts';
import { ChatService } from './chat-service.ts';
import { MemoryGenerationEventLog } from './event-log.ts';
import { collect } from './event-log-contract.ts';

let dir: string;
let store: Store;
let upstream: ScriptedUpstream;
let userId: string;
const user = () => ({ id: userId, plan: 'free' });

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ponder-chat-'));
  store = await openStore({ dataDir: dir, masterKey: 'b'.repeat(64) });
  upstream = await startScriptedUpstream({ models: ['r1-test'] });
  userId = (await store.users.create({ email: 'chat@example.com', passwordHash: 'x', plan: 'free' })).id;
});

after(async () => {
  await upstream?.[Symbol.asyncDispose]?.();
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

function service(acquire?: AcquireHook) {
  const provider = createUpstreamProvider({
    id: 'scripted',
    baseUrl: upstream.baseUrl,
    reasoningFormat: 'auto',
  });
  const gateway = new InferenceGateway({ providers: [provider], ...(acquire ? { acquire } : {}) });
  const log = new MemoryGenerationEventLog();
  return {
    chat: new ChatService({ store, pipeline: testPipeline(gateway), log, persistIntervalMs: 50 }),
    log,
  };
}

async function events(log: MemoryGenerationEventLog, generationId: string): Promise<GenerationEvent[]> {
  return collect(await log.read(generationId, 0, new AbortController().signal));
}

test('a turn streams meta → reasoning → text → usage → done and saves the answer; history drops old reasoning', async () => {
  const { chat, log } = service();
  const conv = await store.conversations.create({ userId });
  upstream.enqueue({ lines: chatStream({ reasoning: ['Thinking', ' hard'], content: ['Hi', ' there'] }) });
  const started = await chat.send(user(), conv.id, { content: 'first question' });
  const first = await events(log, started.generationId);
  assert.deepEqual(
    first.map((e) => e.type),
    ['meta', 'reasoning', 'reasoning', 'text', 'text', 'usage', 'done'],
  );
  const answer = await store.messages.get(started.meta.assistantMessageId, userId);
  assert.equal(answer?.status, 'complete');
  assert.equal(answer?.content, 'Hi there');
  assert.equal(answer?.reasoning, 'Thinking hard');
  assert.equal(typeof answer?.reasoningMs, 'number');
  assert.equal((await store.generations.get(started.generationId, userId))?.status, 'done');
  assert.equal((await store.conversations.get(conv.id, userId))?.title, 'first question');
  const usage = await store.usage.totals(userId, new Date(0));
  assert.equal(usage.reasoningMessages, 1);

  upstream.enqueue({ lines: chatStream({ reasoning: ['More'], content: ['Ok'] }) });
  const second = await chat.send(user(), conv.id, {
    content: 'second question',
    thinking: { enabled: false },
  });
  await events(log, second.generationId);
  const sent = upstream.chatRequests.at(-1)?.body as { messages: Array<{ role: string; content: string }> };
  assert.deepEqual(
    sent.messages.map((m) => [m.role, m.content]),
    [
      ['user', 'first question'],
      ['assistant', 'Hi there'],
      ['user', 'second question'],
    ],
  );
  assert.ok(!JSON.stringify(sent).includes('Thinking hard'));
  assert.equal(
    (await store.usage.totals(userId, new Date(0))).reasoningMessages,
    1,
    'thinking off is not a reasoning message',
  );
});

test('an upstream failure ends the generation with done error and saves the error', async () => {
  const { chat, log } = service();
  const conv = await store.conversations.create({ userId });
  upstream.enqueue({ status: 500, body: JSON.stringify({ error: { message: 'boom' } }) });
  const started = await chat.send(user(), conv.id, { content: 'fail please' });
  const all = await events(log, started.generationId);
  const done = all.at(-1);
  assert.equal(done?.type, 'done');
  assert.equal(done?.type === 'done' && done.data.finishReason, 'error');
  const answer = await store.messages.get(started.meta.assistantMessageId, userId);
  assert.equal(answer?.status, 'error');
  assert.ok(answer?.error);
  assert.equal((await store.generations.get(started.generationId, userId))?.status, 'error');
});

test('admission: a refusal is thrown before anything is stored; a queued turn streams its position', async () => {
  const refuse: AcquireHook = async () => {
    throw new AdmissionError('concurrency_limit', 3);
  };
  const refused = service(refuse);
  const conv = await store.conversations.create({ userId });
  await assert.rejects(refused.chat.send(user(), conv.id, { content: 'no room' }), AdmissionError);
  assert.deepEqual(await store.messages.tree(conv.id, userId), []);

  let release = 0;
  const queued: AcquireHook = (_subject, wait) =>
    new Promise((resolve) => {
      wait.onQueued?.(2, 1500);
      setTimeout(() => wait.onQueued?.(1), 20);
      setTimeout(() => resolve({ release: () => release++ }), 60);
    });
  const waiting = service(queued);
  upstream.enqueue({ lines: chatStream() });
  const started = await waiting.chat.send(user(), conv.id, { content: 'wait for it' });
  const all = await events(waiting.log, started.generationId);
  assert.deepEqual(
    all.slice(0, 3).map((e) => [e.type, e.type === 'queued' ? e.data.position : null]),
    [
      ['meta', null],
      ['queued', 2],
      ['queued', 1],
    ],
  );
  assert.equal(all.at(-1)?.type, 'done');
  assert.equal(release, 1, 'the grant is released once');
});

test('validation: foreign parent, user-message parent, unknown conversation, regenerate of a root user answer', async () => {
  const { chat, log } = service();
  const conv = await store.conversations.create({ userId });
  const other = await store.conversations.create({ userId });
  const foreign = await store.messages.create({
    conversationId: other.id,
    userId,
    role: 'user',
    content: 'x',
  });
  await assert.rejects(chat.send(user(), conv.id, { content: 'hi', parentId: foreign.id }), {
    code: 'invalid_request',
  });
  await assert.rejects(chat.send(user(), 'nope', { content: 'hi' }), { code: 'not_found' });
  await assert.rejects(chat.send({ id: 'someone-else', plan: 'free' }, conv.id, { content: 'hi' }), {
    code: 'not_found',
  });
  await assert.rejects(chat.send(user(), other.id, { content: 'hi', parentId: foreign.id }), {
    code: 'invalid_request',
  });
  // Regenerating a user message answers it again.
  upstream.enqueue({ lines: chatStream() });
  const again = await chat.regenerate(user(), other.id, foreign.id, {});
  assert.equal(again.meta.userMessageId, foreign.id);
  await events(log, again.generationId);
  await assert.rejects(chat.regenerate(user(), other.id, 'missing', {}), { code: 'not_found' });
});

test('shutdown saves a running generation as interrupted', async () => {
  const { chat, log } = service();
  const conv = await store.conversations.create({ userId });
  upstream.enqueue({ lines: chatStream({ reasoning: ['a'], content: [] }).slice(0, 4), hang: true });
  const started = await chat.send(user(), conv.id, { content: 'hang on' });
  const reader = await log.read(started.generationId, 0, new AbortController().signal);
  assert.ok(reader);
  for await (const e of reader) if (e.type === 'reasoning') break;
  await chat.shutdown(5000);
  const answer = await store.messages.get(started.meta.assistantMessageId, userId);
  assert.equal(answer?.status, 'interrupted');
  assert.equal(answer?.reasoning, 'a');
  assert.equal((await store.generations.get(started.generationId, userId))?.status, 'interrupted');
  await assert.rejects(chat.send(user(), conv.id, { content: 'after' }), { code: 'conflict' });
});

test('the first message titles the conversation before the answer streams; meta carries the title', async () => {
  const { chat, log } = service();
  const conv = await store.conversations.create({ userId });
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  // The upstream holds the whole answer back until the test has looked.
  const [head = '', ...rest] = chatStream({ content: ['Ok'] });
  upstream.enqueue({ lines: [{ line: head, gate }, ...rest] });
  const started = await chat.send(user(), conv.id, { content: '  Why is the sky blue?  ' });
  assert.equal(started.meta.title, 'Why is the sky blue?');
  assert.equal((await store.conversations.get(conv.id, userId))?.title, 'Why is the sky blue?');
  release();
  const all = await events(log, started.generationId);
  const meta = all.find((e) => e.type === 'meta');
  assert.equal(meta?.type === 'meta' ? meta.data.title : undefined, 'Why is the sky blue?');

  // Later turns, and a conversation the user titled, leave the title alone (and say nothing of it).
  upstream.enqueue({ lines: chatStream({ content: ['Again'] }) });
  const second = await chat.send(user(), conv.id, { content: 'and at sunset?' });
  assert.equal(second.meta.title, undefined);
  await events(log, second.generationId);
  const named = await store.conversations.create({ userId, title: 'Mine' });
  upstream.enqueue({ lines: chatStream({ content: ['Fine'] }) });
  const third = await chat.send(user(), named.id, { content: 'first words' });
  assert.equal(third.meta.title, undefined);
  await events(log, third.generationId);
  assert.equal((await store.conversations.get(named.id, userId))?.title, 'Mine');
});
