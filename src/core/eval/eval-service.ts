/**
 * Eval runs in the background of a server (the admin page): start, watch, stop, resume, report. A run
 * executes in the instance that started it; its samples are in the store, so after a restart (or on
 * another instance) "resume" continues it. One execution per run at a time.
 */
import type { EvalRunRecord } from '../../store/types.ts';
import { htmlReport, markdownReport, terminalTable } from './report-html.ts';
import type { EvalRunConfigInput } from './run-config.ts';
import { type EvalProgress, EvalRunError, type EvalRunner, parseRunConfig } from './runner.ts';
import { type RunSummary, summarise } from './summary.ts';

export type ReportFormat = 'json' | 'markdown' | 'html' | 'text';

interface Active {
  abort: AbortController;
  progress: EvalProgress | null;
  done: Promise<EvalRunRecord>;
}

export class EvalService {
  readonly #runner: EvalRunner;
  readonly #active = new Map<string, Active>();
  readonly #onError: ((err: unknown) => void) | undefined;

  constructor(runner: EvalRunner, onError?: (err: unknown) => void) {
    this.#runner = runner;
    this.#onError = onError;
  }

  /** Creates a run and starts it in the background. */
  async start(userId: string, config: EvalRunConfigInput, name?: string): Promise<EvalRunRecord> {
    const run = await this.#runner.create(userId, config, name);
    this.#launch(run.id);
    return run;
  }

  /** Continues a stored run (its missing samples); 409-style `busy` when it is running here. */
  async resume(runId: string): Promise<void> {
    if (this.#active.has(runId)) throw new EvalRunError('busy', 'this run is already running');
    this.#launch(runId);
  }

  isActive(runId: string): boolean {
    return this.#active.has(runId);
  }

  progress(runId: string): EvalProgress | null {
    return this.#active.get(runId)?.progress ?? null;
  }

  /** Stops a running run (its finished samples stay); false when it is not running here. */
  stop(runId: string): boolean {
    const active = this.#active.get(runId);
    active?.abort.abort();
    return active !== undefined;
  }

  /** Waits for a run started here to end (tests, shutdown). */
  async settled(runId: string): Promise<EvalRunRecord | undefined> {
    return this.#active.get(runId)?.done;
  }

  async summary(run: EvalRunRecord, samples: Parameters<typeof summarise>[3]): Promise<RunSummary> {
    const config = parseRunConfig(JSON.parse(run.config));
    return summarise(run, config, await this.#runner.suiteOf(config), samples);
  }

  static render(summary: RunSummary, format: ReportFormat): string {
    switch (format) {
      case 'json':
        return JSON.stringify(summary, null, 2);
      case 'markdown':
        return markdownReport(summary);
      case 'html':
        return htmlReport(summary);
      case 'text':
        return terminalTable(summary);
      default:
        return format satisfies never;
    }
  }

  /** Stops every run started here and waits for them (shutdown); they can be resumed later. */
  async close(): Promise<void> {
    for (const a of this.#active.values()) a.abort.abort();
    await Promise.allSettled([...this.#active.values()].map((a) => a.done));
  }

  #launch(runId: string): void {
    const abort = new AbortController();
    const active: Active = { abort, progress: null, done: Promise.resolve(undefined as never) };
    active.done = this.#runner
      .run(runId, { signal: abort.signal, onProgress: (p) => (active.progress = p) })
      .catch((err: unknown) => {
        this.#onError?.(err);
        throw err;
      })
      .finally(() => this.#active.delete(runId));
    active.done.catch(() => {});
    this.#active.set(runId, active);
  }
}
