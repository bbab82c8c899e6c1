/**
 * Behaviour every `GenerationEventLog` must show, run by event-log.test.ts here and by the Redis tests
 * in src/adapters/redis/. `a` runs the generations (opens and appends); `b` is where a client
 * reattaches: another instance (Redis), or `a` itself (in-process). Folding and retention are the
 * memory log's own (tested there).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GenerationEvent, MetaEventData } from '../../api/conversations.ts';
import { type InstancePair, withPair } from '../rate-limit/contract-pair.ts';
import type { GenerationEventLog } from './event-log.ts';

export function metaOf(generationId: string): MetaEventData {
  return {
    generationId,
    conversationId: 'c1',
    userMessageId: 'u1',
    assistantMessageId: 'a1',
    model: 'm',
  };
}

export async function collect(iterable: AsyncIterable<GenerationEvent> | null): Promise<GenerationEvent[]> {
  assert.ok(iterable, 'the log holds the generation');
  const out: GenerationEvent[] = [];
  for await (const event of iterable) out.push(event);
  return out;
}

/** What a client following the documented rules ends up with: `meta` resets, deltas append. */
export function clientView(events: GenerationEvent[], start = { reasoning: '', text: '' }) {
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

export function eventLogContract(name: string, make: () => Promise<InstancePair<GenerationEventLog>>): void {
  test(`${name}: numbers events from 1; a reader replays after an id, then follows live until done`, () =>
    withPair(make, async (runner, other) => {
      const signal = new AbortController().signal;
      assert.equal(await other.read('g1', 0, signal), null, 'unknown generation');
      await runner.open('g1', metaOf('g1'));
      assert.equal(await runner.append('g1', { type: 'reasoning', data: { text: 'a' } }), 2);
      assert.equal(await runner.append('g1', { type: 'text', data: { text: 'b' } }), 3);
      const following = collect(await other.read('g1', 2, signal));
      await runner.append('g1', { type: 'text', data: { text: 'c' } });
      await runner.append('g1', { type: 'done', data: { finishReason: 'stop' } });
      const rest = await following;
      assert.deepEqual(
        rest.map((e) => [e.id, e.type]),
        [
          [3, 'text'],
          [4, 'text'],
          [5, 'done'],
        ],
      );
      assert.deepEqual(rest[1]?.data, { text: 'c' });
      assert.equal(await runner.append('g1', { type: 'text', data: { text: 'late' } }), 0, 'after done');
      assert.equal(await runner.append('never-opened', { type: 'text', data: { text: 'x' } }), 0);
      const all = await collect(await other.read('g1', 0, signal));
      assert.deepEqual(
        all.map((e) => e.type),
        ['meta', 'reasoning', 'text', 'text', 'done'],
      );
      assert.deepEqual(all[0]?.data, metaOf('g1'));
    }));

  test(`${name}: reattaching after any id, or one never given out, ends with exactly the full text`, () =>
    withPair(make, async (runner, other) => {
      await runner.open('g2', metaOf('g2'));
      for (const [type, text] of [
        ['reasoning', 'th'],
        ['reasoning', 'ink'],
        ['text', 'ans'],
        ['text', 'wer'],
      ] as const) {
        await runner.append('g2', { type, data: { text } });
      }
      await runner.append('g2', { type: 'done', data: { finishReason: 'stop' } });
      const signal = new AbortController().signal;
      const first = await collect(await other.read('g2', 0, signal));
      for (const cut of [0, 1, 2, 3, 4, 5, 99]) {
        const kept = first.filter((e) => e.id <= cut);
        const rest = await collect(await other.read('g2', cut, signal));
        if (cut < 1 || cut > 6) assert.equal(rest[0]?.type, 'meta', `after ${cut}: start over`);
        assert.deepEqual(
          clientView(rest, clientView(kept)),
          { reasoning: 'think', text: 'answer' },
          `after ${cut}`,
        );
        assert.equal(rest.at(-1)?.type, 'done');
      }
      assert.deepEqual(await collect(await other.read('g2', 6, signal)), [], 'after done: nothing more');
    }));

  test(`${name}: aborting ends a reader that waits for live events`, () =>
    withPair(make, async (runner, other) => {
      await runner.open('g3', metaOf('g3'));
      const controller = new AbortController();
      const reading = collect(await other.read('g3', 1, controller.signal));
      controller.abort();
      assert.deepEqual(await reading, []);
      await runner.append('g3', { type: 'done', data: { finishReason: 'cancelled' } });
    }));
}
