/**
 * Login attempt counters that reserve before the password is checked. A plain "read the count, verify,
 * then write" lets a burst of parallel attempts all pass the read (each argon2 verify takes tens of ms),
 * so the reservation is one atomic step: it counts the attempt under every key at once, or under none.
 * A successful login refunds its reservation; a failed one leaves it counted.
 */
import { randomUUID } from 'node:crypto';
import type { RateLimitRule } from './rate-limiter.ts';

export interface ThrottleEntry {
  key: string;
  rule: RateLimitRule;
  /**
   * A soft entry never refuses: it is counted (up to `rule.limit` events, so a flood cannot grow it)
   * and the caller reads its count to decide, e.g. to ask for proof of work past an account's ceiling.
   */
  soft?: boolean;
}

export interface Reservation {
  /** False when a hard entry was at its limit; then nothing was counted. */
  allowed: boolean;
  /** When refused: seconds until the fullest blocking key frees a place (≥ 1). 0 when allowed. */
  retryAfterSeconds: number;
  /** Events each entry's key held inside its window before this attempt, in the order given. */
  counts: number[];
  /** The attempt's id under every key (what `refund` removes). */
  id: string;
  keys: string[];
}

export interface LoginThrottle {
  /** Counts one attempt under every entry iff no hard entry is at its limit; atomic across callers. */
  reserve(entries: readonly ThrottleEntry[]): Promise<Reservation>;
  /** Removes the reserved attempt again (a success, or an attempt that was never checked). Idempotent. */
  refund(reservation: Reservation): Promise<void>;
  /** Forgets every attempt counted under `key`. */
  reset(key: string): Promise<void>;
}

interface Attempt {
  at: number;
  id: string;
}

export interface MemoryLoginThrottleOptions {
  /** Keys tracked at most; the least recently used are dropped beyond it. Default 100 000. */
  maxKeys?: number;
  now?: () => number;
}

/** In-process implementation: exact sliding window; atomic because `reserve` never awaits mid-way. */
export class MemoryLoginThrottle implements LoginThrottle {
  readonly #attempts = new Map<string, Attempt[]>();
  readonly #maxKeys: number;
  readonly #now: () => number;

  constructor(options: MemoryLoginThrottleOptions = {}) {
    this.#maxKeys = options.maxKeys ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  async reserve(entries: readonly ThrottleEntry[]): Promise<Reservation> {
    const now = this.#now();
    const id = randomUUID();
    const keys = entries.map((e) => e.key);
    const lists = entries.map((e) => this.#live(e.key, e.rule.windowMs, now));
    const counts = lists.map((l) => l.length);
    let blocked = false;
    let waitMs = 0;
    entries.forEach((e, i) => {
      const list = lists[i] as Attempt[];
      if (e.soft || list.length < e.rule.limit) return;
      blocked = true;
      const oldest = list[0];
      waitMs = Math.max(waitMs, oldest ? oldest.at + e.rule.windowMs - now : e.rule.windowMs);
    });
    if (blocked) return { allowed: false, retryAfterSeconds: toSeconds(waitMs), counts, id, keys };
    entries.forEach((e, i) => {
      const list = lists[i] as Attempt[];
      if (list.length < e.rule.limit) list.push({ at: now, id });
      this.#touch(e.key, list);
    });
    return { allowed: true, retryAfterSeconds: 0, counts, id, keys };
  }

  async refund(reservation: Reservation): Promise<void> {
    for (const key of reservation.keys) {
      const list = this.#attempts.get(key);
      const at = list?.findIndex((a) => a.id === reservation.id) ?? -1;
      if (list && at >= 0) list.splice(at, 1);
    }
  }

  async reset(key: string): Promise<void> {
    this.#attempts.delete(key);
  }

  #live(key: string, windowMs: number, now: number): Attempt[] {
    const list = this.#attempts.get(key) ?? [];
    let drop = 0;
    while (drop < list.length && (list[drop] as Attempt).at <= now - windowMs) drop++;
    if (drop > 0) list.splice(0, drop);
    return list;
  }

  #touch(key: string, list: Attempt[]): void {
    this.#attempts.delete(key);
    this.#attempts.set(key, list);
    if (this.#attempts.size > this.#maxKeys) {
      const oldest = this.#attempts.keys().next().value;
      if (oldest !== undefined) this.#attempts.delete(oldest);
    }
  }
}

export function toSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
