/**
 * Per-user accounting of the controller: generations running or being acquired, shared-limiter
 * back-off, and who has been active lately, for the fair-share cap.
 *
 * The fair-share cap exists because a plan's `maxConcurrency` may equal the slot count: one busy user
 * would then fill every slot, and a light user arriving a moment later waits for a whole generation
 * to end (fair queueing only orders the queue; it cannot free a slot). While other users are active
 * (running, queued, or finished within `windowMs`), a user may hold at most their weighted share of
 * the slots, at least one, so the others find a slot free when they come back.
 */
import type { TicketImpl } from './waiter.ts';

export interface LocalUser {
  running: Set<TicketImpl>;
  acquiring: number;
  /** Epoch ms before which the shared limiter is not asked again for this user. */
  blockedUntil: number;
}

interface Activity {
  weight: number;
  /** Epoch ms of the last request or release. */
  seenAt: number;
}

export class UserTable {
  readonly #users = new Map<string, LocalUser>();
  readonly #recent = new Map<string, Activity>();
  readonly #windowMs: number;
  #totalWeight = 0;

  /** `windowMs`: how long a user counts as active after their last request or release; 0 turns the share cap off. */
  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  get(userId: string): LocalUser | undefined {
    return this.#users.get(userId);
  }

  values(): IterableIterator<LocalUser> {
    return this.#users.values();
  }

  /** Running plus being acquired. */
  active(userId: string): number {
    const u = this.#users.get(userId);
    return u ? u.running.size + u.acquiring : 0;
  }

  state(userId: string): LocalUser {
    let u = this.#users.get(userId);
    if (!u) {
      u = { running: new Set(), acquiring: 0, blockedUntil: 0 };
      this.#users.set(userId, u);
    }
    return u;
  }

  /** Drops the accounting of a user with nothing running or queued (their recent activity stays). */
  forgetIfIdle(userId: string, queued: number): void {
    const u = this.#users.get(userId);
    if (u && u.running.size === 0 && u.acquiring === 0 && queued === 0) this.#users.delete(userId);
  }

  /** Marks a user active now (a request or a release). */
  touch(userId: string, weight: number, now: number): void {
    if (this.#windowMs === 0) return;
    const before = this.#recent.get(userId);
    if (before) {
      this.#totalWeight -= before.weight;
      this.#recent.delete(userId);
    }
    this.#recent.set(userId, { weight, seenAt: now });
    this.#totalWeight += weight;
  }

  /**
   * The most generations `userId` may hold while others are active: `floor(capacity × weight ÷ the
   * active users' total weight)`, at least 1; `capacity` when nobody else is active or the cap is off.
   * O(1) amortised: the pump asks once per queued user and pass.
   */
  shareCap(userId: string, weight: number, capacity: number, now: number): number {
    if (this.#windowMs === 0) return capacity;
    this.#expire(now);
    const others = this.#totalWeight - (this.#recent.get(userId)?.weight ?? 0);
    // Float sums drift; a remainder far below any weight is nobody.
    if (others < 1e-9) return capacity;
    return Math.max(1, Math.floor((capacity * weight) / (weight + others)));
  }

  /** When the share caps next rise on their own (the oldest idle user leaves the window); Infinity if never. */
  nextExpiry(): number {
    for (const [id, a] of this.#recent) if (!this.#users.has(id)) return a.seenAt + this.#windowMs + 1;
    return Number.POSITIVE_INFINITY;
  }

  /** Insertion order is last-seen order (touch re-inserts), so expired entries are at the front. */
  #expire(now: number): void {
    for (const [id, a] of this.#recent) {
      if (now - a.seenAt <= this.#windowMs) break;
      // Still running or queued: active now, so it goes to the back (the loop meets it again and stops).
      if (this.#users.has(id)) {
        this.touch(id, a.weight, now);
        continue;
      }
      this.#recent.delete(id);
      this.#totalWeight -= a.weight;
    }
    if (this.#recent.size === 0) this.#totalWeight = 0;
  }
}
