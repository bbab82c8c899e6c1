import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { type FairEntry, FairQueue } from './fair-queue.ts';

interface Item extends FairEntry {
  n: number;
}
const item = (userId: string, n: number): Item => ({ userId, n, tag: 0, seq: 0 });
const always = () => true;

describe('FairQueue', () => {
  test('property: each user FIFO; everything pushed comes out once', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.constantFrom('a', 'b', 'c', 'd'), fc.integer({ min: 1, max: 4 }), fc.boolean()),
          {
            maxLength: 200,
          },
        ),
        (ops) => {
          const q = new FairQueue<Item>();
          const pushed = new Map<string, number[]>();
          const popped = new Map<string, number[]>();
          let n = 0;
          for (const [user, weight, pop] of ops) {
            q.push(item(user, n), weight, 1);
            pushed.set(user, [...(pushed.get(user) ?? []), n++]);
            if (pop) {
              const x = q.shift(always)!;
              popped.set(x.userId, [...(popped.get(x.userId) ?? []), x.n]);
            }
          }
          for (let x = q.shift(always); x; x = q.shift(always)) {
            popped.set(x.userId, [...(popped.get(x.userId) ?? []), x.n]);
          }
          assert.equal(q.size, 0);
          assert.deepEqual(popped, pushed);
        },
      ),
    );
  });

  test('property: two backlogged users share service by weight (within one request)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), (wa, wb) => {
        const q = new FairQueue<Item>();
        for (let i = 0; i < 60; i++) {
          q.push(item('a', i), wa, 1);
          q.push(item('b', i), wb, 1);
        }
        let a = 0;
        let b = 0;
        for (let k = 0; k < 40; k++) {
          if (q.shift(always)!.userId === 'a') a++;
          else b++;
          // Service so far ∝ weight: a/wa and b/wb differ by at most one request's worth.
          assert.ok(Math.abs(a / wa - b / wb) <= 1 + 1e-9, `k=${k} a=${a} b=${b} wa=${wa} wb=${wb}`);
        }
      }),
    );
  });

  test('an ineligible user is skipped, not blocking the others, and keeps its turn', () => {
    const q = new FairQueue<Item>();
    q.push(item('capped', 0), 1, 1);
    q.push(item('other', 1), 1, 1);
    assert.equal(q.shift((h) => h.userId !== 'capped')?.userId, 'other');
    assert.equal(
      q.shift(() => false),
      undefined,
    );
    assert.equal(q.shift(always)?.userId, 'capped');
  });

  test('a user returning after idling gets no banked credit', () => {
    const q = new FairQueue<Item>();
    for (let i = 0; i < 10; i++) q.push(item('busy', i), 1, 1);
    for (let i = 0; i < 5; i++) q.shift(always);
    // 'late' arrives now: it goes next, then alternates with 'busy' instead of running 5 in a row.
    for (let i = 0; i < 5; i++) q.push(item('late', i), 1, 1);
    const order = Array.from({ length: 6 }, () => q.shift(always)!.userId);
    assert.deepEqual(order, ['late', 'busy', 'late', 'busy', 'late', 'busy']);
  });

  test('remove and pushFront', () => {
    const q = new FairQueue<Item>();
    const a0 = item('a', 0);
    const a1 = item('a', 1);
    q.push(a0, 1, 1);
    q.push(a1, 1, 1);
    assert.equal(q.remove(a0), true);
    assert.equal(q.remove(a0), false);
    assert.equal(q.userSize('a'), 1);
    const x = q.shift(always)!;
    q.pushFront(x);
    assert.deepEqual(q.ordered(), [a1]);
  });
});
