import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from './clock.ts';
import { AdmissionController, type AdmissionPlan, type Ticket } from './controller.ts';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
/** A plan like `pro` on 4 slots: one user may run as many generations as there are slots. */
const wide = (priority = 1): AdmissionPlan => ({ maxConcurrency: 4, priority });

/** Collects tickets as they are admitted (a pending admit stays out of the list). */
function admitInto(c: AdmissionController, userId: string, plan: AdmissionPlan, into: Ticket[]): void {
  void c.admit({ userId, plan }).then((t) => into.push(t));
}

describe('AdmissionController fair-share cap', () => {
  test('alone, a user may fill every slot the plan allows', async () => {
    const c = new AdmissionController({ capacity: 4, clock: new ManualClock() });
    const held: Ticket[] = [];
    for (let i = 0; i < 4; i++) admitInto(c, 'heavy', wide(), held);
    await tick();
    assert.equal(held.length, 4);
    assert.equal(c.stats().busy, 4);
  });

  test('a heavy user cannot take the last slot while another user is active; it queues instead of a refusal', async () => {
    const clock = new ManualClock();
    const c = new AdmissionController({ capacity: 4, maxQueuedPerUser: 4, clock });
    const heavy: Ticket[] = [];
    for (let i = 0; i < 3; i++) admitInto(c, 'heavy', wide(), heavy);
    const light = await c.admit({ userId: 'light', plan: wide() });
    await tick();
    assert.equal(heavy.length, 3);
    for (let i = 0; i < 2; i++) admitInto(c, 'heavy', wide(), heavy);
    await tick();
    assert.equal(c.stats().queued, 2, 'beyond its share the heavy user waits in the queue');

    light.release();
    await tick();
    assert.equal(heavy.length, 3, 'the freed slot stays free for the user who was just active');
    assert.equal(c.stats().busy, 3);
    const again = await c.admit({ userId: 'light', plan: wide() });
    assert.equal(again.waitedMs, 0, 'the light user finds a slot at once');
    again.release();

    // Once the light user has been away for the whole window, the heavy user gets the slot back.
    clock.advance(30_001);
    await tick();
    assert.equal(heavy.length, 4);
    assert.equal(c.stats().busy, 4);
    for (const t of heavy) t.release();
    await tick();
    assert.equal(heavy.length, 5);
  });

  test('the share is weighted by priority and never below one slot', async () => {
    const c = new AdmissionController({ capacity: 4, maxQueuedPerUser: 8, clock: new ManualClock() });
    const others = await Promise.all(['b', 'c', 'd', 'e'].map((u) => c.admit({ userId: u, plan: wide() })));
    for (const t of others) t.release();
    // Four others active (weight 4 together) and this user at weight 4: floor(4 × 4 / 8) = 2 slots.
    const heavy: Ticket[] = [];
    for (let i = 0; i < 4; i++) admitInto(c, 'heavy', wide(4), heavy);
    await tick();
    assert.equal(heavy.length, 2);
    // Weight 1 among the same four: floor(4 / 5) = 0, raised to 1.
    const small: Ticket[] = [];
    for (let i = 0; i < 2; i++) admitInto(c, 'small', wide(1), small);
    await tick();
    assert.equal(small.length, 1);
  });

  test('fairShareWindowMs 0 turns the cap off: the heavy user takes every slot', async () => {
    const c = new AdmissionController({ capacity: 4, fairShareWindowMs: 0, clock: new ManualClock() });
    const light = await c.admit({ userId: 'light', plan: wide() });
    light.release();
    const heavy: Ticket[] = [];
    for (let i = 0; i < 4; i++) admitInto(c, 'heavy', wide(), heavy);
    await tick();
    assert.equal(heavy.length, 4);
  });

  test('an invalid window is refused at construction', () => {
    assert.throws(() => new AdmissionController({ capacity: 1, fairShareWindowMs: -1 }), /fairShareWindowMs/);
  });
});
