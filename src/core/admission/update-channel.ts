/** A single-consumer async iterable that keeps only the newest value: a slow reader skips stale queue positions. */
export class LatestChannel<T> implements AsyncIterable<T> {
  #pending: { value: T } | undefined;
  #ended = false;
  #wake: (() => void) | undefined;

  push(value: T): void {
    if (this.#ended) return;
    this.#pending = { value };
    this.#notify();
  }

  end(): void {
    this.#ended = true;
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      if (this.#pending) {
        const { value } = this.#pending;
        this.#pending = undefined;
        yield value;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }
}
