/**
 * Ctrl-C for `ponder chat`, installed for the whole command: while an answer is being generated the
 * first Ctrl-C stops it (its AbortSignal fires) and any further one exits at once (status 130); with
 * no answer running, a SIGINT exits. (At an interactive terminal prompt Ctrl-C is a key, not a signal:
 * ChatPrompt handles it.)
 */
export class InterruptController {
  #current: AbortController | undefined;
  #onStop: (() => void) | undefined;
  readonly #onSigint = (): void => {
    const current = this.#current;
    if (current && !current.signal.aborted) {
      // First, so the output is closed (nothing more printed, colours reset) before the notice.
      this.#onStop?.();
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

  /**
   * Starts an interruptible generation; returns the signal that the first Ctrl-C fires. `onStop` runs
   * first, at once: tokens already on their way must not print after the "stopping" notice.
   */
  begin(onStop?: () => void): AbortSignal {
    this.#current = new AbortController();
    this.#onStop = onStop;
    return this.#current.signal;
  }

  /** The generation ended; Ctrl-C now exits. */
  end(): void {
    this.#current = undefined;
    this.#onStop = undefined;
  }

  dispose(): void {
    process.off('SIGINT', this.#onSigint);
  }
}
