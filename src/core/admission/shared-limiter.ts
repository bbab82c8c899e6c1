/**
 * The admission controller's calls to the per-user limiter shared across processes (Redis when scaled
 * out). It fails open: a limiter outage must not stop all generation, while this process's own cap and
 * capacity still hold; failures only reach the observer's `onError`.
 */
import type { ConcurrencyLimiter } from '../rate-limit/types.ts';
import { type AdmissionObserver, safeObserve } from './observer.ts';

export class FailOpenLimiter {
  readonly #limiter: ConcurrencyLimiter;
  readonly #observer: AdmissionObserver | undefined;

  constructor(limiter: ConcurrencyLimiter, observer: AdmissionObserver | undefined) {
    this.#limiter = limiter;
    this.#observer = observer;
  }

  /**
   * Asks for one of the user's `cap` places and calls `done` with the answer: synchronously when the
   * limiter answers synchronously (the in-memory one), so the controller's pump sees it in the same pass.
   */
  acquire(userId: string, cap: number, ticketId: string, done: (ok: boolean) => void): void {
    let result: boolean | Promise<boolean>;
    try {
      result = this.#limiter.tryAcquire(userId, cap, ticketId);
    } catch (err) {
      safeObserve(this.#observer, 'onError', err, 'acquire');
      result = true;
    }
    if (typeof result === 'boolean') {
      done(result);
      return;
    }
    result.then(
      (ok) => done(ok),
      (err: unknown) => {
        safeObserve(this.#observer, 'onError', err, 'acquire');
        done(true);
      },
    );
  }

  release(userId: string, ticketId: string): void {
    try {
      const r = this.#limiter.release(userId, ticketId);
      if (r) r.catch((err: unknown) => safeObserve(this.#observer, 'onError', err, 'release'));
    } catch (err) {
      safeObserve(this.#observer, 'onError', err, 'release');
    }
  }
}
