/**
 * Graceful-shutdown hooks: e.g. the chat service lets running generations finish within the grace
 * period, then cancels them (saving partial output). Hooks run concurrently; failures are logged.
 */

export interface ShutdownContext {
  /** How long hooks may let work finish before cancelling it. */
  graceMs: number;
  /** Aborted when the grace period ends. */
  deadline: AbortSignal;
}

export type ShutdownHook = (ctx: ShutdownContext) => Promise<void> | void;

export class ShutdownHooks {
  readonly #hooks: Array<{ name: string; hook: ShutdownHook }> = [];
  /** Hooks run once: a second `run` (a test closing its server after running them itself) joins the first. */
  #running: Promise<string[]> | undefined;

  add(name: string, hook: ShutdownHook): void {
    this.#hooks.push({ name, hook });
  }

  /** Runs every hook; resolves when all settled (hooks must respect `deadline`). Returns failed hook names. */
  run(graceMs: number): Promise<string[]> {
    this.#running ??= this.#runAll(graceMs);
    return this.#running;
  }

  async #runAll(graceMs: number): Promise<string[]> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), graceMs);
    try {
      const results = await Promise.allSettled(
        this.#hooks.map(({ hook }) => hook({ graceMs, deadline: controller.signal })),
      );
      return results.flatMap((r, i) => (r.status === 'rejected' ? [this.#hooks[i]?.name ?? '?'] : []));
    } finally {
      clearTimeout(timer);
    }
  }
}
