/**
 * Metrics hooks of the admission controller. The server implements them with prom-client (core does
 * not import it); every hook is optional and an exception thrown by one is swallowed.
 *
 * Suggested wiring: `onQueueDepth` / `onSlotsBusy` → gauges, `onAdmitted` / `onShed` / `onCancelled`
 * → a wait-time histogram labelled by outcome plus counters (`onShed` labelled by code),
 * `onReleased` → a hold-time histogram. `AdmissionController.stats()` answers the same numbers for a
 * gauge `collect()` callback.
 */
import type { AdmissionErrorCode } from './errors.ts';

export interface AdmissionObserver {
  /** Requests waiting in the queue, after every change. */
  onQueueDepth?(queued: number): void;
  /** Slots in use and the capacity, after every change. */
  onSlotsBusy?(busy: number, capacity: number): void;
  /** A request got a ticket after waiting `waitMs` (0 when admitted at once). */
  onAdmitted?(waitMs: number): void;
  /** A request was refused (`waitMs` 0 when refused at once, otherwise how long it waited). */
  onShed?(code: AdmissionErrorCode, waitMs: number): void;
  /** A waiter's signal aborted while it was queued. */
  onCancelled?(waitMs: number): void;
  /** A ticket was released after being held `holdMs`. */
  onReleased?(holdMs: number): void;
  /** The shared limiter (Redis) failed; admission then falls back to this process's own counts. */
  onError?(err: unknown, op: 'acquire' | 'release'): void;
}

export function safeObserve<K extends keyof AdmissionObserver>(
  observer: AdmissionObserver | undefined,
  hook: K,
  ...args: Parameters<NonNullable<AdmissionObserver[K]>>
): void {
  const fn = observer?.[hook] as ((...a: unknown[]) => void) | undefined;
  if (!fn) return;
  try {
    fn.apply(observer, args);
  } catch {
    // Metrics must never break admission.
  }
}
