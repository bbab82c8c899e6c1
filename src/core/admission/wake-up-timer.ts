/**
 * One timer for the earliest moment a skipped waiter may start: a user backing off after the shared
 * limiter said no, or a fair-share cap lifting once other users stayed away. Nothing else wakes the
 * queue then, so the admission controller arms this and pumps when it fires.
 */
import type { Clock, TimerHandle } from './clock.ts';

export class WakeUpTimer {
  readonly #clock: Clock;
  readonly #onFire: () => void;
  #timer: TimerHandle | undefined;
  #at = Number.POSITIVE_INFINITY;

  constructor(clock: Clock, onFire: () => void) {
    this.#clock = clock;
    this.#onFire = onFire;
  }

  /** Fires at `at` (a clock time) unless an earlier wake-up is already set; a non-finite `at` is ignored. */
  schedule(at: number): void {
    if (at >= this.#at || !Number.isFinite(at)) return;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#at = at;
    this.#timer = this.#clock.setTimeout(
      () => {
        this.#timer = undefined;
        this.#at = Number.POSITIVE_INFINITY;
        this.#onFire();
      },
      Math.max(0, at - this.#clock.now()),
    );
  }

  cancel(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
  }
}
