import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AsyncQueue } from './async-queue.ts';
import { Lockstep, LockstepMember } from './lockstep.ts';

const tick = () => new Promise((r) => setImmediate(r));

describe('Lockstep', () => {
  test('releases members together once every active one has arrived', async () => {
    const l = new Lockstep(10_000);
    const [a, b] = [new LockstepMember(), new LockstepMember()];
    l.join(a);
    l.join(b);
    let aReleased = false;
    const pa = l.arrive(a).then(() => {
      aReleased = true;
    });
    await tick();
    assert.equal(aReleased, false, 'a waits for b');
    await l.arrive(b);
    await pa;
    assert.equal(aReleased, true);
    l.dispose();
  });

  test('a paused member is not waited for, and waits itself until resumed', async () => {
    const l = new Lockstep(10_000);
    const [a, b] = [new LockstepMember(), new LockstepMember()];
    l.join(a);
    l.join(b);
    b.setPaused(true, l);
    await l.arrive(a);
    let bReleased = false;
    const pb = l.arrive(b).then(() => {
      bReleased = true;
    });
    await tick();
    assert.equal(bReleased, false);
    b.setPaused(false, l);
    const pa = l.arrive(a);
    await Promise.all([pa, pb]);
    assert.equal(bReleased, true);
    l.dispose();
  });

  test('a peer inside a decode is waited for past the fallback, then both share the next batch', async () => {
    const l = new Lockstep(5);
    const [a, b] = [new LockstepMember(), new LockstepMember()];
    l.join(a);
    l.join(b);
    l.setDecoding(b, true); // b's (slow) decode is running
    let aReleased = false;
    const pa = l.arrive(a).then(() => {
      aReleased = true;
    });
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(aReleased, false, 'a is not released alone while b decodes');
    l.setDecoding(b, false);
    await tick();
    assert.equal(aReleased, false, 'a still waits for b to arrive');
    await l.arrive(b);
    await pa;
    l.dispose();
  });

  test('the fallback timer releases a member whose peer never arrives; leaving releases too', async () => {
    const l = new Lockstep(5);
    const [a, b] = [new LockstepMember(), new LockstepMember()];
    l.join(a);
    l.join(b);
    await l.arrive(a); // resolves through the fallback
    const pa = l.arrive(a);
    l.leave(b);
    await pa;
    l.dispose();
  });
});

describe('AsyncQueue', () => {
  test('delivers pushed items in order, then ends; onTake sees each item once', async () => {
    const taken: number[] = [];
    const q = new AsyncQueue<number>((n) => taken.push(n));
    q.push(1);
    const out: number[] = [];
    const consumer = (async () => {
      for await (const n of q) out.push(n);
    })();
    q.push(2);
    await tick();
    q.push(3);
    q.end();
    q.push(4);
    await consumer;
    assert.deepEqual(out, [1, 2, 3]);
    assert.deepEqual(taken, [1, 2, 3]);
  });

  test('fail() throws after the queued items', async () => {
    const q = new AsyncQueue<number>();
    q.push(1);
    q.fail(new Error('boom'));
    const it = q[Symbol.asyncIterator]();
    assert.deepEqual(await it.next(), { value: 1, done: false });
    await assert.rejects(it.next(), /boom/);
  });
});
