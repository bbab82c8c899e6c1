/**
 * "Continue" and "answer now" at the core level: real SQLite store, scripted upstream (a real HTTP
 * server) so each answer's text is known exactly.
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
import { InferenceGateway } from '../inference-gateway.ts';
import { testPipeline } from '../turns/testing.ts';
import { ChatService } from './chat-service.ts';
import { MemoryGenerationEventLog } from './event-log.ts';
import { collect } from './event-log-contract.ts';

let dir: string;
let store: Store;
let upstream: ScriptedUpstream;
let userId: string;
const user = () => ({ id: userId, plan: 'free' });
const log = new MemoryGenerationEventLog();
let chat: ChatService;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ponder-continue-'));
  store = await openStore({ dataDir: dir, masterKey: 'c'.repeat(64) });
  upstream = await startScriptedUpstream({ models: ['r1-test'] });
  userId = (await store.users.create({ email: 'cont@example.com', passwordHash: 'x', plan: 'free' })).id;
  const provider = createUpstreamProvider({
    id: 'scripted',
    baseUrl: upstream.baseUrl,
    reasoningFormat: 'auto',
  });
  chat = new ChatService({
    store,
    pipeline: testPipeline(new InferenceGateway({ providers: [provider] })),
    log,
  });
});

after(async () => {
  await chat?.shutdown();
  await upstream?.[Symbol.asyncDispose]?.();
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

async function events(generationId: string): Promise<GenerationEvent[]> {
  return collect(await log.read(generationId, 0, new AbortController().signal));
}

test('a cut-off answer is marked length; Continue grows the same message and sends it as a prefix', async () => {
  const conv = await store.conversations.create({ userId });
  upstream.enqueue({
    lines: chatStream({ reasoning: ['Hmm'], content: ['The answer', ' is'], finishReason: 'length' }),
  });
  const first = await chat.send(user(), conv.id, { content: 'question' });
  await events(first.generationId);
  const messageId = first.meta.assistantMessageId;
  const cut = await store.messages.get(messageId, userId);
  assert.equal(cut?.status, 'complete');
  assert.equal(cut?.finishReason, 'length');

  upstream.enqueue({ lines: chatStream({ reasoning: [], content: [' forty-two.'] }) });
  const more = await chat.continue(user(), conv.id, messageId, undefined);
  assert.equal(more.meta.assistantMessageId, messageId, 'same message');
  assert.equal(more.meta.continues, true);
  const evs = await events(more.generationId);
  // After `meta` the stream replays what the message held, then the new text: clients that reset on
  // `meta` end with the whole answer.
  const text = evs.flatMap((e) => (e.type === 'text' ? [e.data.text] : [])).join('');
  assert.equal(text, 'The answer is forty-two.');
  assert.deepEqual(evs.at(-1)?.data, { finishReason: 'stop' });
  const sent = upstream.chatRequests.at(-1)?.body as Record<string, unknown>;
  assert.deepEqual((sent.messages as unknown[]).at(-1), {
    role: 'assistant',
    content: 'The answer is',
    prefix: true,
  });
  assert.equal(sent.continue_final_message, true);
  const grown = await store.messages.get(messageId, userId);
  assert.equal(grown?.content, 'The answer is forty-two.');
  assert.equal(grown?.reasoning, 'Hmm');
  assert.equal(grown?.finishReason, 'stop');
  assert.equal(grown?.generationId, more.generationId);
  const tree = await store.messages.tree(conv.id, userId);
  assert.equal(tree?.filter((m) => m.role === 'assistant').length, 1, 'no new message');

  // Now complete: nothing to continue.
  await assert.rejects(chat.continue(user(), conv.id, messageId, undefined), { code: 'conflict' });
  await assert.rejects(chat.continue(user(), conv.id, first.meta.userMessageId, undefined), {
    code: 'invalid_request',
  });
});

test('answer now on a model server that cannot end thinking early is refused clearly', async () => {
  const conv = await store.conversations.create({ userId });
  // Slow deltas: the answer is still running when "answer now" arrives.
  upstream.enqueue({ lines: chatStream().map((line) => (line === '' ? line : { line, delayMs: 40 })) });
  const started = await chat.send(user(), conv.id, { content: 'q' });
  assert.equal(started.meta.canEndThinking, undefined);
  await assert.rejects(chat.endThinking(userId, started.generationId), {
    code: 'conflict',
    message: /cannot cut its reasoning short/,
  });
  assert.equal(await chat.endThinking('someone-else', started.generationId), false);
  await events(started.generationId);
  // Finished: a no-op.
  assert.equal(await chat.endThinking(userId, started.generationId), true);
});
