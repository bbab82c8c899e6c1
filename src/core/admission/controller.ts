/**
 * Admission control: every generation takes a ticket here before it runs.
 *
 * - a global capacity (slots: engine slots + upstream capacity), changeable at run time;
 * - a per-user concurrency cap from the plan, shared across processes when the limiter is Redis;
 * - weighted fair queueing across users (plan `priority` is the weight), FIFO within a user;
 * - a bounded queue (total and per user) with a maximum wait; refusals are typed `AdmissionError`s
 *   decided at once in O(1): 429 when this user is over a limit, 503 when the system is full;
 * - queue position and ETA streamed to the waiter; an aborted waiter leaves the queue at once.
 *
 * Wiring (server): per generation
 * ```ts
 * const { ticket, updates } = admission.request({ userId, plan, signal });
 * for await (const u of updates) yield u;          // { type: 'queued', position, etaMs } → SSE / keep-alive
 * using t = await ticket;                          // throws AdmissionError (→ 429/503 + Retry-After) or signal.reason
 * ... run the generation ...                       // t is released on scope exit (or call t.release())
 * ```
 */
import { MemoryConcurrencyLimiter } from '../rate-limit/memory.ts';
import { type Clock, systemClock } from './clock.ts';
import { AdmissionError, type AdmissionErrorCode } from './errors.ts';
import { FairQueue } from './fair-queue.ts';
import { HoldTimeEstimate } from './hold-time.ts';
import { type AdmissionObserver, safeObserve } from './observer.ts';
import { publishPositions } from './queue-positions.ts';
import { checkCount, retryAfterSystem, retryAfterUser } from './retry-after.ts';
import { FailOpenLimiter } from './shared-limiter.ts';
import type {
  AdmissionControllerOptions,
  AdmissionRequest,
  AdmissionStats,
  AdmitOptions,
  Ticket,
} from './types.ts';
import { type LocalUser, UserTable } from './user-table.ts';
import { TicketImpl, Waiter } from './waiter.ts';
import { WakeUpTimer } from './wake-up-timer.ts';

export type {
  AdmissionControllerOptions,
  AdmissionPlan,
  AdmissionRequest,
  AdmissionStats,
  AdmitOptions,
  QueueUpdate,
  Ticket,
} from './types.ts';

const ZERO_SHED: Record<AdmissionErrorCode, number> = {
  concurrency_limit: 0,
  queue_full: 0,
  user_queue_full: 0,
  queue_timeout: 0,
  quota_exceeded: 0,
  shutting_down: 0,
};

export class AdmissionController implements Disposable {
  #capacity: number;
  #busy = 0;
  readonly #queue = new FairQueue<Waiter>();
  readonly #users: UserTable;
  readonly #hold = new HoldTimeEstimate();
  readonly #clock: Clock;
  readonly #limiter: FailOpenLimiter;
  readonly #observer: AdmissionObserver | undefined;
  readonly #maxQueued: number;
  readonly #maxQueuedPerUser: number;
  readonly #maxWaitMs: number;
  readonly #sharedRetryMs: number;
  readonly #initialHoldMs: number;
  #admitted = 0;
  #cancelled = 0;
  readonly #shed = { ...ZERO_SHED };
  #closed = false;
  #pumping = false;
  #pumpNow = 0;
  #repump = false;
  #updatesScheduled = false;
  readonly #wakeUp: WakeUpTimer;

  constructor(opts: AdmissionControllerOptions) {
    this.#capacity = checkCount('capacity', opts.capacity);
    this.#maxQueued = checkCount('maxQueued', opts.maxQueued ?? 256);
    this.#maxQueuedPerUser = checkCount('maxQueuedPerUser', opts.maxQueuedPerUser ?? 4);
    this.#maxWaitMs = checkCount('maxWaitMs', opts.maxWaitMs ?? 120_000);
    this.#sharedRetryMs = checkCount('sharedRetryMs', opts.sharedRetryMs ?? 500);
    this.#initialHoldMs = Math.max(1, opts.initialHoldMs ?? 30_000);
    this.#clock = opts.clock ?? systemClock;
    this.#observer = opts.observer;
    this.#limiter = new FailOpenLimiter(opts.limiter ?? new MemoryConcurrencyLimiter(), this.#observer);
    this.#wakeUp = new WakeUpTimer(this.#clock, () => this.#wokenUp());
    this.#users = new UserTable(checkCount('fairShareWindowMs', opts.fairShareWindowMs ?? 30_000));
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** Changes the global capacity; running tickets are never revoked, waiters start if it grew. */
  setCapacity(capacity: number): void {
    this.#capacity = checkCount('capacity', capacity);
    this.#pump();
  }

  /** Asks for a ticket and streams the queue position while waiting. Never throws: failures reject `ticket`. */
  request(opts: AdmitOptions): AdmissionRequest {
    const now = this.#clock.now();
    const cap = Math.max(1, Math.floor(opts.plan.maxConcurrency));
    const weight = opts.plan.priority > 0 ? opts.plan.priority : 1;
    const cost = opts.cost !== undefined && Number.isFinite(opts.cost) && opts.cost > 0 ? opts.cost : 1;
    const w = new Waiter(opts.userId, cap, weight, now, opts.signal, opts.onQueued);
    const out: AdmissionRequest = { ticket: w.promise, updates: w.channel };

    if (this.#closed) return this.#refuse(w, 'shutting_down', this.#retryAfterSystem(0));
    if (opts.signal?.aborted) {
      this.#settle(w);
      w.reject(opts.signal.reason);
      return out;
    }
    const user = this.#users.get(opts.userId);
    const active = this.#users.active(opts.userId);
    const userQueued = this.#queue.userSize(opts.userId);
    this.#users.touch(opts.userId, weight, now);
    const immediate =
      this.#busy < this.#capacity &&
      active < cap &&
      active < this.#users.shareCap(opts.userId, weight, this.#capacity, now) &&
      userQueued === 0 &&
      (user?.blockedUntil ?? 0) <= now;
    if (!immediate) {
      if (userQueued >= this.#maxQueuedPerUser) {
        return active >= cap
          ? this.#refuse(w, 'concurrency_limit', this.#retryAfterUser(user, cap, userQueued, now), {
              maxConcurrency: cap,
              maxQueued: this.#maxQueuedPerUser,
            })
          : this.#refuse(w, 'user_queue_full', this.#retryAfterSystem(this.#queue.size), {
              maxQueued: this.#maxQueuedPerUser,
            });
      }
      if (this.#queue.size >= this.#maxQueued) {
        return this.#refuse(w, 'queue_full', this.#retryAfterSystem(this.#queue.size), {
          maxQueued: this.#maxQueued,
        });
      }
    }

    this.#queue.push(w, weight, cost);
    this.#users.state(opts.userId);
    if (opts.signal) {
      const signal = opts.signal;
      w.onAbort = () => this.#abort(w, signal.reason);
      signal.addEventListener('abort', w.onAbort, { once: true });
    }
    w.timer = this.#clock.setTimeout(() => this.#timeout(w), this.#maxWaitMs);
    this.#pump();
    return out;
  }

  /** `request` without the iterable: resolves with the ticket (queue positions go to `onQueued`). */
  admit(opts: AdmitOptions): Promise<Ticket> {
    return this.request(opts).ticket;
  }

  /** Estimated wait for the n-th waiter, from the measured drain rate; undefined before any measurement. */
  etaMs(position: number): number | undefined {
    const drain = this.#hold.drainPerMs(this.#capacity);
    return drain === undefined ? undefined : Math.round(position / drain);
  }

  stats(): AdmissionStats {
    const drain = this.#hold.drainPerMs(this.#capacity);
    return {
      capacity: this.#capacity,
      busy: this.#busy,
      queued: this.#queue.size,
      queuedUsers: this.#queue.users,
      drainRatePerSecond: drain === undefined ? null : drain * 1000,
      meanHoldMs: this.#hold.meanMs ?? null,
      admitted: this.#admitted,
      cancelled: this.#cancelled,
      shed: { ...this.#shed },
    };
  }

  /** Refuses every waiter with 503 `shutting_down` and every later request; running tickets stay valid. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#wakeUp.cancel();
    for (const w of [...this.#queue.entries()]) {
      this.#queue.remove(w);
      this.#shedWaiter(w, 'shutting_down', this.#retryAfterSystem(0));
    }
    this.#gauges();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  // ── internals ──────────────────────────────────────────────────────────────

  #forgetIfIdle(userId: string): void {
    this.#users.forgetIfIdle(userId, this.#queue.userSize(userId));
  }

  #refuse(
    w: Waiter,
    code: AdmissionErrorCode,
    retryAfterSeconds: number | undefined,
    details?: AdmissionError['details'],
  ): AdmissionRequest {
    this.#shedWaiter(w, code, retryAfterSeconds, details);
    return { ticket: w.promise, updates: w.channel };
  }

  #shedWaiter(
    w: Waiter,
    code: AdmissionErrorCode,
    retryAfterSeconds: number | undefined,
    details?: AdmissionError['details'],
  ): void {
    const waited = this.#clock.now() - w.enqueuedAt;
    this.#shed[code]++;
    safeObserve(this.#observer, 'onShed', code, waited);
    this.#settle(w);
    w.reject(new AdmissionError(code, retryAfterSeconds, details));
    this.#forgetIfIdle(w.userId);
  }

  /** Detaches timers and listeners and ends the update stream. */
  #settle(w: Waiter): void {
    w.state = 'done';
    if (w.timer !== undefined) this.#clock.clearTimeout(w.timer);
    if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
    w.channel.end();
  }

  #abort(w: Waiter, reason: unknown): void {
    if (w.state === 'done') return;
    if (w.state === 'queued') this.#queue.remove(w);
    // An 'acquiring' waiter finishes its limiter call; #acquired sees it is done and gives the place back.
    this.#cancelled++;
    safeObserve(this.#observer, 'onCancelled', this.#clock.now() - w.enqueuedAt);
    this.#settle(w);
    w.reject(reason);
    this.#forgetIfIdle(w.userId);
    this.#gauges();
    this.#scheduleUpdates();
  }

  #timeout(w: Waiter): void {
    w.timer = undefined;
    if (w.state !== 'queued') return;
    this.#queue.remove(w);
    this.#shedWaiter(w, 'queue_timeout', this.#retryAfterSystem(this.#queue.size), {});
    this.#gauges();
    this.#scheduleUpdates();
  }

  /** At the plan's cap, over the fair share while others are active, or backing off: skipped, not blocking. */
  #eligible = (head: Waiter): boolean => {
    const u = this.#users.get(head.userId);
    if (!u) return true;
    const active = u.running.size + u.acquiring;
    return (
      active < head.cap &&
      u.blockedUntil <= this.#pumpNow &&
      active < this.#users.shareCap(head.userId, head.weight, this.#capacity, this.#pumpNow)
    );
  };

  /** Starts waiters while there is capacity. Re-entrant calls (a synchronous limiter) loop instead of recursing. */
  #pump(): void {
    if (this.#pumping) {
      this.#repump = true;
      return;
    }
    this.#pumping = true;
    // One time for the whole pass, so a user is never judged blocked here and unblocked by the retry timer's check.
    this.#pumpNow = this.#clock.now();
    try {
      do {
        this.#repump = false;
        while (!this.#closed && this.#busy < this.#capacity && this.#queue.size > 0) {
          const w = this.#queue.shift(this.#eligible);
          if (!w) break;
          this.#start(w);
        }
      } while (this.#repump);
    } finally {
      this.#pumping = false;
    }
    // Slots left free for users active a moment ago: when they stay away, the cap lifts without any event.
    if (!this.#closed && this.#busy < this.#capacity && this.#queue.size > 0) {
      this.#scheduleRetry(this.#users.nextExpiry());
    }
    this.#gauges();
    this.#scheduleUpdates();
  }

  #start(w: Waiter): void {
    w.state = 'acquiring';
    this.#busy++;
    this.#users.state(w.userId).acquiring++;
    this.#limiter.acquire(w.userId, w.cap, w.id, (ok) => this.#acquired(w, ok));
  }

  #acquired(w: Waiter, ok: boolean): void {
    const u = this.#users.state(w.userId);
    u.acquiring--;
    const now = this.#clock.now();
    if (w.state === 'acquiring' && this.#closed) {
      this.#shedWaiter(w, 'shutting_down', this.#retryAfterSystem(0));
    }
    if (w.state !== 'acquiring') {
      // Cancelled, timed out or shut down while the shared limiter answered: give the place back.
      this.#busy--;
      if (ok) this.#limiter.release(w.userId, w.id);
      this.#forgetIfIdle(w.userId);
      this.#pump();
      return;
    }
    if (!ok) {
      // Another process holds this user's places: wait in the queue, keeping our turn, and ask again later.
      this.#busy--;
      w.state = 'queued';
      this.#queue.pushFront(w);
      u.blockedUntil = now + this.#sharedRetryMs;
      this.#scheduleRetry(u.blockedUntil);
      this.#pump();
      return;
    }
    const ticket = new TicketImpl(w.id, w.userId, now, now - w.enqueuedAt, (t) => this.#release(t, w.weight));
    u.running.add(ticket);
    this.#admitted++;
    safeObserve(this.#observer, 'onAdmitted', ticket.waitedMs);
    this.#settle(w);
    w.resolve(ticket);
    this.#pump();
  }

  #release(t: TicketImpl, weight: number): void {
    const u = this.#users.get(t.userId);
    u?.running.delete(t);
    this.#busy--;
    const now = this.#clock.now();
    const held = now - t.admittedAt;
    this.#hold.add(held);
    safeObserve(this.#observer, 'onReleased', held);
    this.#users.touch(t.userId, weight, now);
    this.#limiter.release(t.userId, t.id);
    this.#forgetIfIdle(t.userId);
    this.#pump();
  }

  #scheduleRetry(at: number): void {
    if (!this.#closed) this.#wakeUp.schedule(at);
  }

  #wokenUp(): void {
    // Timers may fire a millisecond early: users still blocked as of the pump's time get another wake-up.
    const now = this.#clock.now();
    this.#pump();
    let next = Number.POSITIVE_INFINITY;
    for (const u of this.#users.values()) if (u.blockedUntil > now) next = Math.min(next, u.blockedUntil);
    if (Number.isFinite(next)) this.#scheduleRetry(next);
  }

  #gauges(): void {
    safeObserve(this.#observer, 'onQueueDepth', this.#queue.size);
    safeObserve(this.#observer, 'onSlotsBusy', this.#busy, this.#capacity);
  }

  /** Positions change for many waiters at once; recompute once per tick, not per event. */
  #scheduleUpdates(): void {
    if (this.#updatesScheduled || this.#queue.size === 0) return;
    this.#updatesScheduled = true;
    queueMicrotask(() => {
      this.#updatesScheduled = false;
      publishPositions(this.#queue.ordered(), (position) => this.etaMs(position));
    });
  }

  #retryAfterSystem(ahead: number): number {
    return retryAfterSystem(this.#hold, this.#capacity, this.#initialHoldMs, ahead);
  }

  #retryAfterUser(user: LocalUser | undefined, cap: number, userQueued: number, now: number): number {
    return retryAfterUser(this.#hold, this.#initialHoldMs, user, cap, userQueued, now);
  }
}
