/**
 * Reads a provider's stream so that a stop takes effect the moment it is asked for. A provider ends its
 * stream only once it noticed the cancel: a busy engine finishing a decode, or chunks it produced ahead
 * of a slow reader (the engine runs up to its credit window ahead), would otherwise keep the answer
 * growing, and unsettled, after the user pressed Stop, or even let it end `length` instead of `cancelled`.
 */
const ABORTED = Symbol('aborted');
const TIMED_OUT = Symbol('timed out');

export class AbortableStream<T> {
  readonly #it: AsyncIterator<T>;
  readonly #signal: AbortSignal;
  readonly #aborted: Promise<typeof ABORTED>;
  #pending: Promise<IteratorResult<T>> | undefined;
  #ended = false;

  constructor(source: AsyncIterable<T>, signal: AbortSignal) {
    this.#it = source[Symbol.asyncIterator]();
    this.#signal = signal;
    this.#aborted = new Promise((resolve) => {
      if (signal.aborted) resolve(ABORTED);
      else signal.addEventListener('abort', () => resolve(ABORTED), { once: true });
    });
  }

  /** The next item; `undefined` once the source ended or the signal aborted (without waiting for the source). */
  async next(): Promise<T | undefined> {
    if (this.#ended || this.#signal.aborted) return undefined;
    const result = await Promise.race([this.#read(), this.#aborted]);
    if (result === ABORTED) return undefined;
    return this.#take(result);
  }

  /**
   * After an abort: what the source still yields within `ms` (its token count, for the quota). A source
   * that fails or stays silent just ends this.
   */
  async *rest(ms: number): AsyncGenerator<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMED_OUT), ms);
    });
    try {
      while (!this.#ended) {
        const result = await Promise.race([this.#read(), timeout]).catch((): typeof TIMED_OUT => TIMED_OUT);
        if (result === TIMED_OUT) return;
        const item = this.#take(result);
        if (item === undefined) return;
        yield item;
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** Lets go of the source: its cleanup (e.g. freeing the engine slot) runs once a read in flight settles. */
  close(): void {
    if (this.#ended) return;
    this.#ended = true;
    const it = this.#it;
    const pending = this.#pending ?? Promise.resolve();
    void pending
      .catch(() => undefined)
      .then(() => it.return?.())
      .catch(() => undefined);
  }

  #read(): Promise<IteratorResult<T>> {
    if (!this.#pending) {
      const p = this.#it.next();
      // A read left in flight by an abort may still fail; nobody waits for it then.
      p.catch(() => undefined);
      this.#pending = p;
    }
    return this.#pending;
  }

  #take(result: IteratorResult<T>): T | undefined {
    this.#pending = undefined;
    if (result.done) {
      this.#ended = true;
      return undefined;
    }
    return result.value;
  }
}
