import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { GenerationEvent } from '../../api/conversations.ts';
import { MemoryGenerationEventLog, replayFromMessage } from './event-log.ts';
import { clientView, collect, eventLogContract, metaOf } from './event-log-contract.ts';

const meta = metaOf('g1');

// One process: the runner and the reattaching client share one log.
eventLogContract('memory', async () => {
  const log = new MemoryGenerationEventLog();
  return { a: log, b: log, close: () => log[Symbol.asyncDispose]() };
});

describe('MemoryGenerationEventLog', () => {
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
