/** A queued request and an issued ticket (internals of the controller). */
import { randomUUID } from 'node:crypto';
import type { TimerHandle } from './clock.ts';
import type { FairEntry } from './fair-queue.ts';
import type { QueueUpdate, Ticket } from './types.ts';
import { LatestChannel } from './update-channel.ts';

export class Waiter implements FairEntry {
  tag = 0;
  seq = 0;
  state: 'queued' | 'acquiring' | 'done' = 'queued';
  position = 0;
  etaMs: number | undefined;
  timer: TimerHandle | undefined;
  readonly id = randomUUID();
  readonly channel = new LatestChannel<QueueUpdate>();
  resolve!: (t: Ticket) => void;
  reject!: (e: unknown) => void;
  readonly promise: Promise<Ticket>;
  onAbort: (() => void) | undefined;

  constructor(
    readonly userId: string,
    readonly cap: number,
    /** Fair-queueing weight (plan priority), also the user's weight in the fair-share cap. */
    readonly weight: number,
    readonly enqueuedAt: number,
    readonly signal: AbortSignal | undefined,
    readonly onQueued: ((u: QueueUpdate) => void) | undefined,
  ) {
    this.promise = new Promise<Ticket>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // A caller that only reads `updates` and drops `ticket` must not crash the process.
    this.promise.catch(() => {});
  }
}

export class TicketImpl implements Ticket {
  #released = false;
  constructor(
    readonly id: string,
    readonly userId: string,
    readonly admittedAt: number,
    readonly waitedMs: number,
    private readonly onRelease: (t: TicketImpl) => void,
  ) {}
  get released(): boolean {
    return this.#released;
  }
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.onRelease(this);
  }
  [Symbol.dispose](): void {
    this.release();
  }
}
