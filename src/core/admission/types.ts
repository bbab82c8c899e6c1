/** Public types of the admission controller. */
import type { ConcurrencyLimiter } from '../rate-limit/types.ts';
import type { Clock } from './clock.ts';
import type { AdmissionErrorCode } from './errors.ts';
import type { AdmissionObserver } from './observer.ts';

/** The parts of a plan admission needs (a `PlanConfig` fits). */
export interface AdmissionPlan {
  /** Generations this user may run at once (across all processes with a shared limiter). */
  maxConcurrency: number;
  /** Fair-queueing weight: priority 2 gets twice the admissions of priority 1 under contention. */
  priority: number;
}

export interface QueueUpdate {
  type: 'queued';
  /** 1 = next to be admitted (in fair-queue order). */
  position: number;
  /** Estimated wait: position / measured drain rate. Absent until a first generation has finished. */
  etaMs?: number;
}

export interface AdmitOptions {
  userId: string;
  plan: AdmissionPlan;
  /** Aborting removes the waiter at once (the ticket promise rejects with `signal.reason`). */
  signal?: AbortSignal;
  /** Fair-queueing cost of this request relative to others (e.g. scaled by thinking budget). Default 1. */
  cost?: number;
  /** Called with each new queue position, like the `updates` iterable. */
  onQueued?: (update: QueueUpdate) => void;
}

/** The right to run one generation. Release exactly once when it ends (idempotent); `using` does it. */
export interface Ticket extends Disposable {
  readonly id: string;
  readonly userId: string;
  /** Epoch ms. */
  readonly admittedAt: number;
  /** How long the request waited in the queue. */
  readonly waitedMs: number;
  readonly released: boolean;
  release(): void;
}

export interface AdmissionRequest {
  /** Resolves when admitted; rejects with `AdmissionError` or the abort reason. */
  ticket: Promise<Ticket>;
  /** Queue positions while waiting (newest only for a slow reader); ends when `ticket` settles. */
  updates: AsyncIterable<QueueUpdate>;
}

export interface AdmissionControllerOptions {
  /** Concurrent generations across all users (engine slots + upstream capacity). */
  capacity: number;
  /** Waiters in the queue, all users together. Default 256. */
  maxQueued?: number;
  /** Waiters per user (0: refuse instead of queueing once at the cap). Default 4. */
  maxQueuedPerUser?: number;
  /** Longest wait in the queue before a 503 `queue_timeout`. Default 120 000 ms. */
  maxWaitMs?: number;
  /**
   * While other users were active within this window (running, queued, or finished this many ms ago),
   * a user may hold at most `floor(capacity × priority ÷ the active users' total priority)` slots, at
   * least 1, even when the plan allows more. 0 turns the cap off. Default 30 000 ms.
   */
  fairShareWindowMs?: number;
  /** Per-user concurrency across processes; default in-process. Pass a shared one (Redis: src/adapters/redis/) to share. */
  limiter?: ConcurrencyLimiter;
  /** How long a user whose shared cap was full (held by another process) waits before asking again. Default 500 ms. */
  sharedRetryMs?: number;
  /** Assumed hold time before any was measured, for `Retry-After` only. Default 30 000 ms. */
  initialHoldMs?: number;
  clock?: Clock;
  observer?: AdmissionObserver;
}

export interface AdmissionStats {
  capacity: number;
  busy: number;
  queued: number;
  queuedUsers: number;
  /** Completions per second at full capacity, from the measured hold time; null before the first. */
  drainRatePerSecond: number | null;
  meanHoldMs: number | null;
  admitted: number;
  cancelled: number;
  shed: Record<AdmissionErrorCode, number>;
}
