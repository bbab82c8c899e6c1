import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryConcurrencyLimiter } from '../rate-limit/memory.ts';
import { ManualClock } from './clock.ts';
import { AdmissionController, type AdmissionPlan, type QueueUpdate, type Ticket } from './controller.ts';
import { AdmissionError } from './errors.ts';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const plan = (maxConcurrency = 1, priority = 1): AdmissionPlan => ({ maxConcurrency, priority });

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  assert.fail('expected a rejection');
}

describe('AdmissionController', () => {
  test('admits at once with free capacity; release is idempotent and frees the slot', async () => {
    const clock = new ManualClock();
    const c = new AdmissionController({ capacity: 2, clock });
    const t1 = await c.admit({ userId: 'a', plan: plan(2) });
    const t2 = await c.admit({ userId: 'b', plan: plan(2) });
    assert.equal(c.stats().busy, 2);
    assert.equal(t1.waitedMs, 0);
    assert.equal(t1.userId, 'a');
    t1.release();
    t1.release();
    assert.equal(t1.released, true);
    assert.equal(c.stats().busy, 1);
    {
      using t3 = await c.admit({ userId: 'c', plan: plan() });
      assert.equal(t3.released, false);
      assert.equal(c.stats().busy, 2);
    }
    assert.equal(c.stats().busy, 1);
    t2.release();
    assert.equal(c.stats().busy, 0);
    assert.equal(c.stats().admitted, 3);
    assert.equal(clock.pendingTimers, 0);
  });

  test('each user is served FIFO', async () => {
    const c = new AdmissionController({ capacity: 1, maxQueuedPerUser: 10, clock: new ManualClock() });
    const holder = await c.admit({ userId: 'x', plan: plan() });
    const order: number[] = [];
    const all = Array.from({ length: 5 }, (_, i) =>
      c.admit({ userId: 'u', plan: plan(1) }).then((t) => {
        order.push(i);
        t.release();
      }),
    );
    holder.release();
    await Promise.all(all);
    assert.deepEqual(order, [0, 1, 2, 3, 4]);
  });

  test('a heavy user cannot starve light users: they are served in the first round', async () => {
    const c = new AdmissionController({ capacity: 1, maxQueuedPerUser: 10, clock: new ManualClock() });
    const holder = await c.admit({ userId: 'holder', plan: plan() });
    const order: string[] = [];
    const serve = (userId: string) =>
      c.admit({ userId, plan: plan(1) }).then((t) => {
        order.push(userId);
        // Release on a later tick so admissions happen one at a time, as generations would.
        setImmediate(() => t.release());
      });
    const all: Promise<void>[] = [];
    for (let i = 0; i < 10; i++) all.push(serve('heavy'));
    for (const u of ['l1', 'l2', 'l3']) all.push(serve(u));
    holder.release();
    await Promise.all(all);
    assert.equal(order.length, 13);
    const lastLight = Math.max(order.indexOf('l1'), order.indexOf('l2'), order.indexOf('l3'));
    assert.ok(lastLight <= 3, `light users served at ${lastLight}: ${order.join(',')}`);
  });

  test('priority 2 gets about twice the admissions of priority 1 under contention', async () => {
    const c = new AdmissionController({ capacity: 1, maxQueuedPerUser: 100, clock: new ManualClock() });
    const holder = await c.admit({ userId: 'holder', plan: plan() });
    const order: string[] = [];
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 40; i++) {
      for (const [userId, priority] of [
        ['p1', 1],
        ['p2', 2],
      ] as const) {
        pending.push(
          c.admit({ userId, plan: plan(1, priority) }).then((t) => {
            order.push(userId);
            setImmediate(() => t.release());
          }),
        );
      }
    }
    holder.release();
    await Promise.all(pending);
    const first = order.slice(0, 30);
    const p2 = first.filter((u) => u === 'p2').length;
    const p1 = first.filter((u) => u === 'p1').length;
    assert.ok(p2 >= 19 && p2 <= 21, `p2 ${p2}, p1 ${p1}`);
  });

  test('per-user cap: queued up to the per-user bound, then 429 concurrency_limit', async () => {
    const c = new AdmissionController({ capacity: 4, maxQueuedPerUser: 1, clock: new ManualClock() });
    const t1 = await c.admit({ userId: 'u', plan: plan(1) });
    const queued = c.admit({ userId: 'u', plan: plan(1) });
    const err = await rejection(c.admit({ userId: 'u', plan: plan(1) }));
    assert.ok(err instanceof AdmissionError);
    assert.equal(err.code, 'concurrency_limit');
    assert.equal(err.status, 429);
    assert.ok((err.retryAfterSeconds ?? 0) >= 1);
    assert.equal(err.details.maxConcurrency, 1);
    // Other users are not held up by u's cap.
    const other = await c.admit({ userId: 'v', plan: plan(1) });
    t1.release();
    const t2 = await queued;
    assert.equal(c.stats().busy, 2);
    t2.release();
    other.release();
    assert.equal(c.stats().shed.concurrency_limit, 1);
  });

  test('maxQueuedPerUser 0 refuses at once when the user is at the cap', async () => {
    const c = new AdmissionController({ capacity: 4, maxQueuedPerUser: 0, clock: new ManualClock() });
    const t = await c.admit({ userId: 'u', plan: plan(1) });
    const err = await rejection(c.admit({ userId: 'u', plan: plan(1) }));
    assert.ok(err instanceof AdmissionError && err.code === 'concurrency_limit');
    t.release();
    (await c.admit({ userId: 'u', plan: plan(1) })).release();
  });

  test('user_queue_full when the user waits for global capacity with a full personal queue', async () => {
    const c = new AdmissionController({ capacity: 1, maxQueuedPerUser: 1, clock: new ManualClock() });
    const holder = await c.admit({ userId: 'x', plan: plan() });
    const queued = c.admit({ userId: 'u', plan: plan(4) });
    const err = await rejection(c.admit({ userId: 'u', plan: plan(4) }));
    assert.ok(err instanceof AdmissionError);
    assert.equal(err.code, 'user_queue_full');
    assert.equal(err.status, 429);
    holder.release();
    (await queued).release();
  });

  test('global queue bound: 503 queue_full with Retry-After', async () => {
    const c = new AdmissionController({ capacity: 1, maxQueued: 2, clock: new ManualClock() });
    const holder = await c.admit({ userId: 'x', plan: plan() });
    const q = [c.admit({ userId: 'a', plan: plan() }), c.admit({ userId: 'b', plan: plan() })];
    const err = await rejection(c.admit({ userId: 'c', plan: plan() }));
    assert.ok(err instanceof AdmissionError);
    assert.equal(err.code, 'queue_full');
    assert.equal(err.status, 503);
    assert.ok((err.retryAfterSeconds ?? 0) > 0);
    assert.equal(c.stats().queued, 2);
    holder.release();
    (await q[0]!).release();
    (await q[1]!).release();
  });

  test('a waiter past the maximum wait is shed with 503 queue_timeout', async () => {
    const clock = new ManualClock();
    const c = new AdmissionController({ capacity: 1, maxWaitMs: 5000, clock });
    const holder = await c.admit({ userId: 'x', plan: plan() });
    const waiting = c.admit({ userId: 'a', plan: plan() });
    clock.advance(4999);
    assert.equal(c.stats().queued, 1);
    clock.advance(1);
    const err = await rejection(waiting);
    assert.ok(err instanceof AdmissionError);
    assert.equal(err.code, 'queue_timeout');
    assert.equal(err.status, 503);
    assert.equal(c.stats().queued, 0);
    holder.release();
    assert.equal(c.stats().busy, 0);
  });

  test('abort while queued: removed at once, others move up, no capacity leaked', async () => {
    const c = new AdmissionController({ capacity: 1, clock: new ManualClock() });
    const holder = await c.admit({ userId: 'x', plan: plan() });
    const ac = new AbortController();
    const updates: Record<string, QueueUpdate[]> = { a: [], b: [], c: [] };
    const a = c.admit({ userId: 'a', plan: plan(), signal: ac.signal, onQueued: (u) => updates.a!.push(u) });
    const b = c.admit({ userId: 'b', plan: plan(), onQueued: (u) => updates.b!.push(u) });
    const cc = c.admit({ userId: 'c', plan: plan(), onQueued: (u) => updates.c!.push(u) });
    await tick();
    assert.deepEqual(
      [updates.a!.at(-1)?.position, updates.b!.at(-1)?.position, updates.c!.at(-1)?.position],
      [1, 2, 3],
    );
    ac.abort(new Error('client went away'));
    assert.equal(c.stats().queued, 2);
    const err = await rejection(a);
    assert.equal((err as Error).message, 'client went away');
    await tick();
    assert.equal(updates.b!.at(-1)?.position, 1);
    assert.equal(updates.c!.at(-1)?.position, 2);
    holder.release();
    const tb = await b;
    tb.release();
    (await cc).release();
    assert.equal(c.stats().busy, 0);
    assert.equal(c.stats().cancelled, 1);
  });

  test('an already aborted signal is refused without queueing', async () => {
    const c = new AdmissionController({ capacity: 1, clock: new ManualClock() });
    const err = await rejection(c.admit({ userId: 'a', plan: plan(), signal: AbortSignal.abort('gone') }));
    assert.equal(err, 'gone');
    assert.equal(c.stats().busy, 0);
  });

  test('updates stream positions and ETA from the measured drain rate, then end', async () => {
    const clock = new ManualClock();
    const c = new AdmissionController({ capacity: 2, clock });
    // Measure: two generations held 10 s each → drain 2 per 10 s.
    const m1 = await c.admit({ userId: 'a', plan: plan() });
    const m2 = await c.admit({ userId: 'b', plan: plan() });
    clock.advance(10_000);
    m1.release();
    m2.release();
    assert.equal(c.stats().drainRatePerSecond, 0.2);
    const h1 = await c.admit({ userId: 'a', plan: plan() });
    const h2 = await c.admit({ userId: 'b', plan: plan() });
    const r1 = c.request({ userId: 'c', plan: plan() });
    const r2 = c.request({ userId: 'd', plan: plan() });
    const seen: QueueUpdate[] = [];
    const reading = (async () => {
      for await (const u of r2.updates) seen.push(u);
    })();
    await tick();
    assert.deepEqual(seen.at(-1), { type: 'queued', position: 2, etaMs: 10_000 });
    clock.advance(10_000); // held as long as the measured ones: the estimate stays put
    h1.release();
    const t1: Ticket = await r1.ticket;
    await tick();
    assert.deepEqual(seen.at(-1), { type: 'queued', position: 1, etaMs: 5000 });
    h2.release();
    (await r2.ticket).release();
    await reading; // the iterable ends once admitted
    t1.release();
  });

  test('ETA is absent before anything was measured', async () => {
    const c = new AdmissionController({ capacity: 1, clock: new ManualClock() });
    const h = await c.admit({ userId: 'a', plan: plan() });
    const seen: QueueUpdate[] = [];
    const p = c.admit({ userId: 'b', plan: plan(), onQueued: (u) => seen.push(u) });
    await tick();
    assert.deepEqual(seen, [{ type: 'queued', position: 1 }]);
    h.release();
    (await p).release();
  });

  test('capacity can change at run time', async () => {
    const c = new AdmissionController({ capacity: 1, clock: new ManualClock() });
    const h = await c.admit({ userId: 'a', plan: plan() });
    let admitted = false;
    const p = c.admit({ userId: 'b', plan: plan() }).then((t) => {
      admitted = true;
      return t;
    });
    await tick();
    assert.equal(admitted, false);
    c.setCapacity(2);
    const t = await p;
    c.setCapacity(0);
    const q = c.admit({ userId: 'c', plan: plan() });
    h.release();
    t.release();
    assert.equal(c.stats().busy, 0);
    assert.equal(c.stats().queued, 1);
    c.setCapacity(1);
    (await q).release();
  });

  test('close refuses waiters and new requests with 503 shutting_down', async () => {
    const c = new AdmissionController({ capacity: 1, clock: new ManualClock() });
    const h = await c.admit({ userId: 'a', plan: plan() });
    const w = c.admit({ userId: 'b', plan: plan() });
    c.close();
    const e1 = await rejection(w);
    assert.ok(e1 instanceof AdmissionError && e1.code === 'shutting_down' && e1.status === 503);
    const e2 = await rejection(c.admit({ userId: 'c', plan: plan() }));
    assert.ok(e2 instanceof AdmissionError && e2.code === 'shutting_down');
    h.release();
  });

  test('two controllers sharing a limiter enforce one cap; the second retries after the first releases', async () => {
    const clock = new ManualClock();
    const limiter = new MemoryConcurrencyLimiter();
    const a = new AdmissionController({ capacity: 4, limiter, clock, sharedRetryMs: 100 });
    const b = new AdmissionController({ capacity: 4, limiter, clock, sharedRetryMs: 100 });
    const ta = await a.admit({ userId: 'u', plan: plan(1) });
    let admitted = false;
    const pb = b.admit({ userId: 'u', plan: plan(1) }).then((t) => {
      admitted = true;
      return t;
    });
    await tick();
    assert.equal(admitted, false);
    assert.equal(b.stats().queued, 1);
    assert.equal(b.stats().busy, 0);
    // Other users on b are not blocked by u.
    (await b.admit({ userId: 'v', plan: plan(1) })).release();
    ta.release();
    clock.advance(100);
    const tb = await pb;
    assert.equal(limiter.count('u'), 1);
    tb.release();
    assert.equal(limiter.count('u'), 0);
  });

  test('a failing shared limiter fails open and reports the error', async () => {
    const errors: string[] = [];
    const c = new AdmissionController({
      capacity: 1,
      clock: new ManualClock(),
      limiter: {
        tryAcquire: () => Promise.reject(new Error('redis down')),
        release: () => Promise.reject(new Error('redis down')),
        count: () => 0,
      },
      observer: { onError: (_e, op) => errors.push(op) },
    });
    const t = await c.admit({ userId: 'a', plan: plan() });
    t.release();
    await tick();
    assert.deepEqual(errors, ['acquire', 'release']);
    assert.equal(c.stats().busy, 0);
  });

  test('observer sees depth, busy slots, admissions and sheds; a throwing observer is harmless', async () => {
    const shed: string[] = [];
    let depth = 0;
    const c = new AdmissionController({
      capacity: 1,
      maxQueued: 1,
      clock: new ManualClock(),
      observer: {
        onQueueDepth: (d) => {
          depth = d;
        },
        onShed: (code) => shed.push(code),
        onAdmitted: () => {
          throw new Error('broken metrics');
        },
      },
    });
    const h = await c.admit({ userId: 'a', plan: plan() });
    const w = c.admit({ userId: 'b', plan: plan() });
    assert.equal(depth, 1);
    await rejection(c.admit({ userId: 'c', plan: plan() }));
    assert.deepEqual(shed, ['queue_full']);
    h.release();
    (await w).release();
    assert.equal(depth, 0);
  });
  test('cancelled or shut down while the shared limiter answers: the place is given back', async () => {
    const pending: ((ok: boolean) => void)[] = [];
    const released: string[] = [];
    const c = new AdmissionController({
      capacity: 2,
      clock: new ManualClock(),
      limiter: {
        tryAcquire: () => new Promise<boolean>((resolve) => pending.push(resolve)),
        release: (_key, id) => {
          released.push(id);
        },
        count: () => 0,
      },
    });
    const ac = new AbortController();
    const aborted = c.admit({ userId: 'a', plan: plan(), signal: ac.signal });
    const closing = c.admit({ userId: 'b', plan: plan() });
    assert.equal(c.stats().busy, 2);
    ac.abort('gone');
    assert.equal(await rejection(aborted), 'gone');
    c.close();
    pending[0]!(true);
    pending[1]!(true);
    const err = await rejection(closing);
    assert.ok(err instanceof AdmissionError && err.code === 'shutting_down');
    assert.equal(released.length, 2);
    assert.equal(c.stats().busy, 0);
  });
});
