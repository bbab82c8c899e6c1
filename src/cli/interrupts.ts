/**
 * Ctrl-C for `ponder chat`, installed for the whole command: while an answer is being generated the
 * first Ctrl-C stops it (its AbortSignal fires) and any further one exits at once (status 130); with
 * no answer running, Ctrl-C exits.
 */
export class InterruptController {
  #current: AbortController | undefined;
  readonly #onSigint = (): void => {
    const current = this.#current;
    if (current && !current.signal.aborted) {
      process.stderr.write('\n(stopping; press Ctrl-C again to exit)\n');
      current.abort();
      return;
    }
    process.stderr.write('\nponder: interrupted\n');
    process.exit(130);
  };

  constructor() {
    process.on('SIGINT', this.#onSigint);
  }

  /** Starts an interruptible generation; returns the signal that the first Ctrl-C fires. */
  begin(): AbortSignal {
    this.#current = new AbortController();
    return this.#current.signal;
  }

  /** The generation ended; Ctrl-C now exits. */
  end(): void {
    this.#current = undefined;
  }

  dispose(): void {
    process.off('SIGINT', this.#onSigint);
  }
}
