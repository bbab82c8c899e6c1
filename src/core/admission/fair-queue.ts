/**
 * Weighted fair queue across users: start-time fair queueing (virtual-time WFQ).
 *
 * Each request gets a start tag `max(V, user's last finish tag)` and the user's finish tag advances by
 * `cost / weight`. The eligible request with the smallest start tag goes next; `V` is the largest
 * start tag served so far. So a user with weight 2 is served twice as often as one with weight 1 under
 * contention, an idle user cannot bank credit (their tag restarts at `V`), a newcomer is served within
 * one round however long a heavy user's backlog is, and each user's own requests stay FIFO.
 */

export interface FairEntry {
  readonly userId: string;
  /** Start tag; set by `push`, kept when an entry is put back with `pushFront`. */
  tag: number;
  /** Arrival order, the tie-break between equal tags. */
  seq: number;
}

export class FairQueue<T extends FairEntry> {
  #queues = new Map<string, T[]>();
  /** Last finish tag per user; kept only while it is ahead of `V` (otherwise `V` wins anyway). */
  #finish = new Map<string, number>();
  #virtualTime = 0;
  #size = 0;
  #seq = 0;

  get size(): number {
    return this.#size;
  }

  /** Users with at least one queued entry. */
  get users(): number {
    return this.#queues.size;
  }

  userSize(userId: string): number {
    return this.#queues.get(userId)?.length ?? 0;
  }

  /** Appends at the end of the user's queue, with a fair start tag. */
  push(entry: T, weight: number, cost: number): void {
    const start = Math.max(this.#virtualTime, this.#finish.get(entry.userId) ?? 0);
    entry.tag = start;
    entry.seq = this.#seq++;
    this.#finish.set(entry.userId, start + cost / Math.max(weight, Number.MIN_VALUE));
    this.#append(entry, false);
  }

  /** Puts an entry taken by `shift` back at the head of its user's queue, keeping its tag. */
  pushFront(entry: T): void {
    this.#append(entry, true);
  }

  #append(entry: T, front: boolean): void {
    let q = this.#queues.get(entry.userId);
    if (!q) {
      q = [];
      this.#queues.set(entry.userId, q);
    }
    if (front) q.unshift(entry);
    else q.push(entry);
    this.#size++;
    if (this.#finish.size > 2 * this.#queues.size + 1024) this.#sweep();
  }

  /** Removes an entry wherever it is (a cancelled or timed-out waiter). */
  remove(entry: T): boolean {
    const q = this.#queues.get(entry.userId);
    const i = q ? q.indexOf(entry) : -1;
    if (!q || i < 0) return false;
    q.splice(i, 1);
    this.#size--;
    if (q.length === 0) this.#queues.delete(entry.userId);
    return true;
  }

  /**
   * Takes the entry with the smallest start tag among users whose head `eligible` accepts (users at
   * their concurrency cap are skipped, not blocking the others). O(users with queued entries).
   */
  shift(eligible: (head: T) => boolean): T | undefined {
    let best: T | undefined;
    for (const q of this.#queues.values()) {
      const head = q[0];
      if (!head || !eligible(head)) continue;
      if (!best || head.tag < best.tag || (head.tag === best.tag && head.seq < best.seq)) best = head;
    }
    if (!best) return undefined;
    const q = this.#queues.get(best.userId)!;
    q.shift();
    this.#size--;
    if (q.length === 0) this.#queues.delete(best.userId);
    if (best.tag > this.#virtualTime) this.#virtualTime = best.tag;
    return best;
  }

  /** All queued entries in service order (ignoring caps): the basis of queue positions. O(n log n). */
  ordered(): T[] {
    const all: T[] = [];
    for (const q of this.#queues.values()) all.push(...q);
    return all.sort((a, b) => a.tag - b.tag || a.seq - b.seq);
  }

  /** Every queued entry, unordered. */
  *entries(): IterableIterator<T> {
    for (const q of this.#queues.values()) yield* q;
  }

  #sweep(): void {
    for (const [user, finish] of this.#finish) {
      if (finish <= this.#virtualTime && !this.#queues.has(user)) this.#finish.delete(user);
    }
  }
}
