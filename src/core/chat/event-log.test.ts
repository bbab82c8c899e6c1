import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { GenerationEvent, MetaEventData } from '../../api/conversations.ts';
import { MemoryGenerationEventLog, replayFromMessage } from './event-log.ts';

const meta: MetaEventData = {
  generationId: 'g1',
  conversationId: 'c1',
  userMessageId: 'u1',
  assistantMessageId: 'a1',
  model: 'm',
};

async function collect(iterable: AsyncIterable<GenerationEvent> | null): Promise<GenerationEvent[]> {
  assert.ok(iterable);
  const out: GenerationEvent[] = [];
  for await (const event of iterable) out.push(event);
  return out;
}

/** What a client following the documented rules ends up with: `meta` resets, deltas append. */
function clientView(events: GenerationEvent[], start = { reasoning: '', text: '' }) {
  const view = { ...start };
  for (const e of events) {
    if (e.type === 'meta') {
      view.reasoning = '';
      view.text = '';
    } else if (e.type === 'reasoning') view.reasoning += e.data.text;
    else if (e.type === 'text') view.text += e.data.text;
  }
  return view;
}

describe('MemoryGenerationEventLog', () => {
  test('numbers events from 1, replays after an id, then follows live until done', async () => {
    const log = new MemoryGenerationEventLog();
    await log.open('g1', meta);
    assert.equal(await log.append('g1', { type: 'reasoning', data: { text: 'a' } }), 2);
    assert.equal(await log.append('g1', { type: 'text', data: { text: 'b' } }), 3);
    const ac = new AbortController();
    const pending = collect(await log.read('g1', 2, ac.signal));
    await log.append('g1', { type: 'text', data: { text: 'c' } });
    await log.append('g1', { type: 'done', data: { finishReason: 'stop' } });
    const events = await pending;
    assert.deepEqual(
      events.map((e) => e.id),
      [3, 4, 5],
    );
    assert.equal(events.at(-1)?.type, 'done');
    const all = await collect(await log.read('g1', 0, ac.signal));
    assert.deepEqual(
      all.map((e) => e.type),
      ['meta', 'reasoning', 'text', 'text', 'done'],
    );
    assert.equal(await log.append('g1', { type: 'text', data: { text: 'late' } }), 0);
    assert.equal(await log.read('nope', 0, ac.signal), null);
    await log[Symbol.asyncDispose]();
  });

  test('an id never given out starts over with meta', async () => {
    const log = new MemoryGenerationEventLog();
    await log.open('g1', meta);
    await log.append('g1', { type: 'text', data: { text: 'x' } });
    await log.append('g1', { type: 'done', data: { finishReason: 'stop' } });
    const events = await collect(await log.read('g1', 99, new AbortController().signal));
    assert.equal(events[0]?.type, 'meta');
    assert.equal(clientView(events).text, 'x');
    await log[Symbol.asyncDispose]();
  });

  test('abort ends a follower', async () => {
    const log = new MemoryGenerationEventLog();
    await log.open('g1', meta);
    const ac = new AbortController();
    const pending = collect(await log.read('g1', 1, ac.signal));
    ac.abort();
    assert.deepEqual(await pending, []);
    await log[Symbol.asyncDispose]();
  });

  test('property: with folding, a client reattaching anywhere ends with exactly the full text', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.boolean(), fc.string({ minLength: 1, maxLength: 5 })), {
          minLength: 1,
          maxLength: 80,
        }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 8, max: 20 }),
        async (deltas, cut, maxEvents) => {
          const log = new MemoryGenerationEventLog({ maxEvents });
          await log.open('g1', meta);
          let reasoning = '';
          let text = '';
          for (const [isText, chunk] of deltas) {
            if (isText) text += chunk;
            else reasoning += chunk;
            await log.append('g1', { type: isText ? 'text' : 'reasoning', data: { text: chunk } });
          }
          await log.append('g1', { type: 'done', data: { finishReason: 'stop' } });
          const signal = new AbortController().signal;
          // First connection sees the whole stream; the client keeps events up to `cut`.
          const first = await collect(await log.read('g1', 0, signal));
          const kept = first.slice(0, Math.min(cut, first.length - 1));
          const lastId = kept.at(-1)?.id ?? 0;
          const rest = await collect(await log.read('g1', lastId, signal));
          const view = clientView(rest, clientView(kept));
          assert.equal(view.text, text);
          assert.equal(view.reasoning, reasoning);
          assert.equal(rest.at(-1)?.type, 'done');
          const ids = rest.map((e) => e.id);
          assert.ok(ids.every((id, i) => i === 0 || id >= ids[i - 1]!));
          await log[Symbol.asyncDispose]();
        },
      ),
      { numRuns: 200 },
    );
  });

  test('folding keeps memory bounded while ids stay stable', async () => {
    const log = new MemoryGenerationEventLog({ maxEvents: 10 });
    await log.open('g1', meta);
    for (let i = 0; i < 100; i++) await log.append('g1', { type: 'text', data: { text: `${i},` } });
    const ac = new AbortController();
    const events: GenerationEvent[] = [];
    const reader = await log.read('g1', 0, ac.signal);
    assert.ok(reader);
    for await (const e of reader) {
      events.push(e);
      if (e.id === 101) break;
    }
    assert.ok(events.length <= 13, `got ${events.length}`);
    assert.equal(clientView(events).text, Array.from({ length: 100 }, (_, i) => `${i},`).join(''));
    await log[Symbol.asyncDispose]();
  });
});

test('replayFromMessage starts with meta and ends with done', () => {
  const events = replayFromMessage({
    meta,
    reasoning: 'r',
    text: 't',
    usage: { promptTokens: 1, cachedPromptTokens: 0, completionTokens: 2, reasoningTokens: 1 },
    finishReason: 'cancelled',
  });
  assert.deepEqual(
    events.map((e) => [e.id, e.type]),
    [
      [1, 'meta'],
      [2, 'reasoning'],
      [3, 'text'],
      [4, 'usage'],
      [5, 'done'],
    ],
  );
});

test('finished logs beyond maxFinished are dropped oldest first; running ones stay', async () => {
  const log = new MemoryGenerationEventLog({ maxFinished: 2 });
  for (const id of ['a', 'b', 'c', 'running']) await log.open(id, { ...meta, generationId: id });
  for (const id of ['a', 'b', 'c']) await log.append(id, { type: 'done', data: { finishReason: 'stop' } });
  assert.deepEqual(log.ids().sort(), ['b', 'c', 'running']);
  await log[Symbol.asyncDispose]();
});
