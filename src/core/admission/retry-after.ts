/** `Retry-After` estimates of refusals (internals of the controller). */
import { toRetryAfterSeconds } from './errors.ts';
import type { HoldTimeEstimate } from './hold-time.ts';
import type { LocalUser } from './user-table.ts';

/** 503: how long until the queue ahead (plus this request) drains. */
export function retryAfterSystem(
  hold: HoldTimeEstimate,
  capacity: number,
  initialHoldMs: number,
  ahead: number,
): number {
  const drain = hold.drainPerMs(capacity) ?? Math.max(1, capacity) / initialHoldMs;
  return toRetryAfterSeconds((ahead + 1) / drain);
}

/** 429 concurrency_limit: when this user's oldest generation is likely done, plus their own queue. */
export function retryAfterUser(
  hold: HoldTimeEstimate,
  initialHoldMs: number,
  user: LocalUser | undefined,
  cap: number,
  userQueued: number,
  now: number,
): number {
  const mean = hold.meanMs ?? initialHoldMs;
  let oldest = now;
  for (const t of user?.running ?? []) oldest = Math.min(oldest, t.admittedAt);
  return toRetryAfterSeconds(Math.max(0, mean - (now - oldest)) + (mean * userQueued) / cap);
}

export function checkCount(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be a whole number ≥ 0`);
  return value;
}
