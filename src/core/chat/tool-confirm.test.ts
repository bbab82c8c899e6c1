/**
 * A tool that changes things waits for the user in a web turn: the stream announces it (`tool_confirm`),
 * the user's yes runs it, a no (or a stop) gives the model an error result instead. Scripted upstream
 * that calls the tool: the test is about the loop and the service.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { z } from 'zod';
import type { GenerationEvent } from '../../api/conversations.ts';
import { createUpstreamProvider } from '../../inference/upstream/provider.ts';
import {
  chatStream,
  type ScriptedUpstream,
  startScriptedUpstream,
  toolCallStream,
} from '../../inference/upstream/scripted-upstream.ts';
import { openStore } from '../../store/index.ts';
import type { Store } from '../../store/types.ts';
import { InferenceGateway } from '../inference-gateway.ts';
import { testPipeline } from '../turns/testing.ts';
import { defineTool } from '../turns/tool-registry.ts';
import { ChatService } from './chat-service.ts';
import { MemoryGenerationEventLog } from './event-log.ts';

const callRound = toolCallStream({
  id: 'call_w',
  name: 'save_note',
  args: '{"text":"hi"}',
  reasoning: 'Save it.',
});
const answerRound = chatStream({ reasoning: [], content: ['Done.'] });

let dir: string;
let store: Store;
let upstream: ScriptedUpstream;
let userId: string;
const saved: string[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ponder-confirm-'));
  store = await openStore({ dataDir: dir, masterKey: 'd'.repeat(64) });
  upstream = await startScriptedUpstream({ models: ['r1-test'] });
  userId = (await store.users.create({ email: 'confirm@example.com', passwordHash: 'x', plan: 'free' })).id;
});
after(async () => {
  await upstream?.close();
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

const saveNote = defineTool({
  name: 'save_note',
  title: 'Save a note',
  description: 'Saves a note for the user (changes their notes)',
  readOnly: false,
  input: z.object({ text: z.string() }),
  run: async ({ text }) => {
    saved.push(text);
    return 'saved';
  },
});

async function turn(decide: (chat: ChatService, generationId: string) => void): Promise<GenerationEvent[]> {
  const provider = createUpstreamProvider({
    id: 'scripted',
    baseUrl: upstream.baseUrl,
    reasoningFormat: 'auto',
  });
  const log = new MemoryGenerationEventLog();
  const chat = new ChatService({
    store,
    pipeline: testPipeline(new InferenceGateway({ providers: [provider] }), [saveNote]),
    log,
  });
  try {
    const conv = await store.conversations.create({ userId, title: 't' });
    upstream.enqueue({ lines: callRound }, { lines: answerRound });
    const { generationId } = await chat.send({ id: userId, plan: 'free' }, conv.id, {
      content: 'Note "hi"',
      tools: ['save_note'],
    });
    const reader = await log.read(generationId, 0, AbortSignal.timeout(10_000));
    assert.ok(reader);
    const events: GenerationEvent[] = [];
    for await (const e of reader) {
      events.push(e);
      if (e.type === 'tool_confirm') {
        assert.equal(
          chat.confirmTool('someone-else', generationId, 'call_w', true),
          false,
          'only its owner decides',
        );
        decide(chat, generationId);
      }
    }
    return events;
  } finally {
    await chat.shutdown();
  }
}

test('the user confirms: the tool runs after a tool_confirm event, and the answer follows', async () => {
  const events = await turn((chat, id) => assert.equal(chat.confirmTool(userId, id, 'call_w', true), true));
  const confirm = events.find((e) => e.type === 'tool_confirm');
  assert.deepEqual(confirm?.data, {
    id: 'call_w',
    name: 'save_note',
    title: 'Save a note',
    arguments: '{"text":"hi"}',
    timeoutMs: 300_000,
  });
  const result = events.find((e) => e.type === 'tool_result');
  assert.deepEqual(result?.type === 'tool_result' ? [result.data.isError, result.data.content] : [], [
    false,
    'saved',
  ]);
  assert.deepEqual(saved, ['hi']);
  assert.equal(events.at(-1)?.type === 'done' && events.at(-1)?.data, events.at(-1)?.data);
});

test('the user declines: the tool does not run and the model reads why', async () => {
  saved.length = 0;
  const events = await turn((chat, id) => assert.equal(chat.confirmTool(userId, id, 'call_w', false), true));
  const result = events.find((e) => e.type === 'tool_result');
  assert.ok(result?.type === 'tool_result');
  assert.equal(result.data.isError, true);
  assert.match(result.data.content, /declined/);
  assert.deepEqual(saved, []);
  const sent = upstream.chatRequests.at(-1)?.body as { messages: Array<{ role: string; content: string }> };
  assert.match(sent.messages.at(-1)?.content ?? '', /declined/, 'the refusal went back to the model');
});
