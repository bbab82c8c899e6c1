/**
 * Ctrl-C during a generation: the first stops the current answer (its AbortSignal fires), the second
 * exits at once. Installed only while a generation runs, so Ctrl-C elsewhere keeps its usual meaning.
 */
export class InterruptController {
  private readonly controller = new AbortController();
  private readonly onSigint = (): void => {
    if (this.controller.signal.aborted) {
      process.stderr.write('\nponder: interrupted\n');
      process.exit(130);
    }
    process.stderr.write('\n(stopping; press Ctrl-C again to exit)\n');
    this.controller.abort();
  };

  constructor() {
    process.on('SIGINT', this.onSigint);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  dispose(): void {
    process.off('SIGINT', this.onSigint);
  }
}
