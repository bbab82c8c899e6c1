/**
 * Assigns requests to slots (context sequences) of one model. Pure bookkeeping, no llama.cpp: a request
 * takes the free slot most likely to hold its prefix in KV (same affinity key, else longest token-prefix
 * match), else an empty slot, else the least recently used idle one; when all are busy it queues (FIFO)
 * and is told its position whenever that changes.
 */

export interface SchedulableSlot {
  readonly index: number;
  busy: boolean;
  /** Affinity key of the last request served here. */
  affinityKey: string | undefined;
  /** Monotonic counter value when the slot was last released (LRU). */
  lastUsed: number;
  /** Tokens currently held in the slot's KV. */
  kvTokens(): readonly number[];
}

export interface SlotRequest {
  affinityKey?: string;
  promptTokens: readonly number[];
  /**
   * Called with the 1-based queue position each time it changes while waiting, and an estimate of the wait
   * once some requests have finished (recent slot hold times × queue rounds).
   */
  onQueued?: (position: number, etaMs: number | undefined) => void;
  signal?: AbortSignal;
}

interface Waiter {
  req: SlotRequest;
  resolve: (slot: SchedulableSlot) => void;
  reject: (err: unknown) => void;
  lastPosition: number;
}

export function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

export class SlotScheduler<S extends SchedulableSlot> {
  private readonly queue: Waiter[] = [];
  private clock = 0;
  /** Exponential moving average of how long a request holds a slot. */
  private holdMsAvg: number | undefined;
  private readonly acquiredAt = new Map<S, number>();

  constructor(readonly slots: readonly S[]) {}

  get busyCount(): number {
    return this.slots.filter((s) => s.busy).length;
  }

  get queueDepth(): number {
    return this.queue.length;
  }

  /** Resolves with a slot marked busy; rejects with the signal's reason if aborted while queued. */
  acquire(req: SlotRequest): Promise<S> {
    req.signal?.throwIfAborted();
    const slot = this.queue.length === 0 ? this.pick(req) : undefined;
    if (slot) {
      this.take(slot);
      return Promise.resolve(slot);
    }
    return new Promise<S>((resolve, reject) => {
      const waiter: Waiter = {
        req,
        resolve: resolve as (slot: SchedulableSlot) => void,
        reject,
        lastPosition: 0,
      };
      this.queue.push(waiter);
      req.signal?.addEventListener(
        'abort',
        () => {
          const i = this.queue.indexOf(waiter);
          if (i < 0) return;
          this.queue.splice(i, 1);
          reject(req.signal?.reason);
          this.announcePositions();
        },
        { once: true },
      );
      this.announcePositions();
    });
  }

  release(slot: S): void {
    const since = this.acquiredAt.get(slot);
    if (since !== undefined) {
      const held = Date.now() - since;
      this.holdMsAvg = this.holdMsAvg === undefined ? held : 0.8 * this.holdMsAvg + 0.2 * held;
      this.acquiredAt.delete(slot);
    }
    slot.busy = false;
    slot.lastUsed = ++this.clock;
    this.drain();
  }

  /** Rejects every queued request (engine shutting down or model unloading). */
  rejectAll(err: unknown): void {
    for (const w of this.queue.splice(0)) w.reject(err);
  }

  private drain(): void {
    let moved = false;
    while (this.queue.length > 0) {
      const head = this.queue[0] as Waiter;
      const slot = this.pick(head.req);
      if (!slot) break;
      this.queue.shift();
      this.take(slot);
      moved = true;
      head.resolve(slot);
    }
    if (moved) this.announcePositions();
  }

  private take(slot: S): void {
    slot.busy = true;
    this.acquiredAt.set(slot, Date.now());
  }

  private announcePositions(): void {
    this.queue.forEach((w, i) => {
      if (w.lastPosition === i + 1) return;
      w.lastPosition = i + 1;
      const rounds = Math.ceil((i + 1) / this.slots.length);
      const eta = this.holdMsAvg === undefined ? undefined : Math.round(rounds * this.holdMsAvg);
      w.req.onQueued?.(i + 1, eta);
    });
  }

  private pick(req: SlotRequest): S | undefined {
    const free = this.slots.filter((s) => !s.busy);
    if (free.length === 0) return undefined;
    if (req.affinityKey !== undefined) {
      const same = free.find((s) => s.affinityKey === req.affinityKey);
      if (same) return same;
    }
    let best: S | undefined;
    let bestLen = 0;
    for (const s of free) {
      const len = commonPrefixLength(s.kvTokens(), req.promptTokens);
      if (len > bestLen) {
        best = s;
        bestLen = len;
      }
    }
    // A one- or two-token match is just the BOS/role marker every prompt shares: not worth keeping.
    if (best && bestLen > 2) return best;
    const empty = free.find((s) => s.kvTokens().length === 0);
    if (empty) return empty;
    return free.reduce((a, b) => (b.lastUsed < a.lastUsed ? b : a));
  }
}
