import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { commonPrefixLength, type SchedulableSlot, SlotScheduler } from './slot-scheduler.ts';

function slots(n: number, kv: number[][] = []): SchedulableSlot[] {
  return Array.from({ length: n }, (_, index) => ({
    index,
    busy: false,
    affinityKey: undefined,
    lastUsed: 0,
    kvTokens: () => kv[index] ?? [],
  }));
}

describe('SlotScheduler', () => {
  test('commonPrefixLength', () => {
    assert.equal(commonPrefixLength([1, 2, 3], [1, 2, 4]), 2);
    assert.equal(commonPrefixLength([], [1]), 0);
    assert.equal(commonPrefixLength([1, 2], [1, 2]), 2);
  });

  test('prefers the slot with the same affinity key', async () => {
    const s = new SlotScheduler(slots(3));
    (s.slots[2] as SchedulableSlot).affinityKey = 'conv';
    assert.equal((await s.acquire({ affinityKey: 'conv', promptTokens: [1] })).index, 2);
  });

  test('else the slot whose KV holds the longest prefix of the prompt', async () => {
    const s = new SlotScheduler(
      slots(3, [
        [9, 9, 9, 9],
        [1, 2, 3, 4, 5],
        [1, 2, 3],
      ]),
    );
    assert.equal((await s.acquire({ promptTokens: [1, 2, 3, 4, 7] })).index, 1);
  });

  test('else an empty slot, else the least recently used', async () => {
    const s = new SlotScheduler(slots(3, [[5, 5, 5, 5], [], [6, 6, 6, 6]]));
    assert.equal((await s.acquire({ promptTokens: [1, 2, 3, 4] })).index, 1);
    const a = s.slots[0] as SchedulableSlot;
    const c = s.slots[2] as SchedulableSlot;
    a.busy = true;
    c.busy = true;
    s.release(c);
    s.release(a); // c is now the least recently used
    assert.equal((await s.acquire({ promptTokens: [1, 2, 3, 4] })).index, 2);
  });

  test('queues FIFO with positions, and an aborted waiter leaves the queue', async () => {
    const s = new SlotScheduler(slots(1));
    const first = await s.acquire({ promptTokens: [1] });
    const positions: Record<string, number[]> = { b: [], c: [], d: [] };
    const ac = new AbortController();
    const b = s.acquire({ promptTokens: [1], onQueued: (n) => positions.b?.push(n), signal: ac.signal });
    const c = s.acquire({ promptTokens: [1], onQueued: (n) => positions.c?.push(n) });
    const d = s.acquire({ promptTokens: [1], onQueued: (n) => positions.d?.push(n) });
    assert.equal(s.queueDepth, 3);
    ac.abort();
    await assert.rejects(b);
    s.release(first);
    const got = await c;
    assert.equal(got.index, 0);
    s.release(got);
    await d;
    assert.deepEqual(positions, { b: [1], c: [2, 1], d: [3, 2, 1] });
    assert.equal(s.queueDepth, 0);
  });
});
