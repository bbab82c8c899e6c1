/**
 * Drain-rate estimate: an EWMA of how long a ticket is held. With the slots saturated (the only time
 * anyone queues) completions per second = busy slots / mean hold time, so this measures the same
 * drain rate as an EWMA of completions per second, without the bias of counting idle periods in
 * which nothing was there to complete.
 */
export class HoldTimeEstimate {
  #mean: number | undefined;

  constructor(
    /** Weight of the newest sample. */
    private readonly alpha = 0.2,
  ) {}

  add(holdMs: number): void {
    const x = Math.max(1, holdMs);
    this.#mean = this.#mean === undefined ? x : this.#mean + this.alpha * (x - this.#mean);
  }

  /** Mean hold time in ms, undefined before the first sample. */
  get meanMs(): number | undefined {
    return this.#mean;
  }

  /** Completions per ms with `slots` busy; undefined before the first sample. */
  drainPerMs(slots: number): number | undefined {
    return this.#mean === undefined ? undefined : Math.max(1, slots) / this.#mean;
  }
}
