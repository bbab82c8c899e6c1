/**
 * The one place where callbacks become an `AsyncIterable` (design §3): producers `push`, one consumer
 * iterates. `onTake` fires as the consumer takes each item, which is how callers grant flow-control credit
 * back to a producer they can pause; the queue itself never drops or blocks a push.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;
  private ended = false;
  private failure: { error: unknown } | undefined;

  constructor(private readonly onTake?: (item: T) => void) {}

  get size(): number {
    return this.items.length;
  }

  get closed(): boolean {
    return this.ended || this.failure !== undefined;
  }

  push(item: T): void {
    if (this.closed) return;
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      this.onTake?.(item);
      waiter.resolve({ value: item, done: false });
    } else {
      this.items.push(item);
    }
  }

  /** Ends the stream after the items already queued. */
  end(): void {
    if (this.closed) return;
    this.ended = true;
    this.flushWaiter();
  }

  /** Ends the stream with an error, thrown after the items already queued. */
  fail(error: unknown): void {
    if (this.closed) return;
    this.failure = { error };
    this.flushWaiter();
  }

  private flushWaiter(): void {
    const waiter = this.waiter;
    if (!waiter || this.items.length > 0) return;
    this.waiter = undefined;
    if (this.failure) waiter.reject(this.failure.error);
    else waiter.resolve({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) {
      const item = this.items.shift() as T;
      this.onTake?.(item);
      return Promise.resolve({ value: item, done: false });
    }
    if (this.failure) return Promise.reject(this.failure.error);
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    if (this.waiter) return Promise.reject(new Error('AsyncQueue supports one consumer at a time'));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return { next: () => this.next() };
  }
}
