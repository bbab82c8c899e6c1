/**
 * Runs (and resumes) an eval: every variant (model × thinking setting) × problem × sample goes through
 * the turn pipeline like any user turn — model resolution, the plan's limits, admission — under the run's
 * own plan (`eval` by default: priority 1 and a concurrency below the engine's slots, so users always
 * find a slot, and it weighs no more than a free user in the fair queue). Each sample is stored as it finishes; running the same
 * run id again skips what is stored, so a killed run continues where it stopped.
 */
import { createHash } from 'node:crypto';
import { type ChatRequest, InferenceError } from '../../inference/types.ts';
import type { EvalRunRecord, Store } from '../../store/types.ts';
import { AdmissionError } from '../admission/errors.ts';
import { GatewayError } from '../inference-gateway.ts';
import type { PlanCatalog } from '../quotas/plans.ts';
import type { TurnPipeline } from '../turns/turn-pipeline.ts';
import { checkAnswer } from './check.ts';
import { extractAnswer } from './extract.ts';
import { requestFor } from './protocol.ts';
import {
  type EvalRunConfig,
  type EvalRunConfigInput,
  runConfigSchema,
  suiteLabel,
  type Variant,
  variantsOf,
} from './run-config.ts';
import { type ResolveOptions, resolveSuite } from './suites/index.ts';
import type { EvalProblem, EvalSuite } from './suites/types.ts';

export class EvalRunError extends Error {
  override name = 'EvalRunError';
  constructor(
    readonly code: 'invalid_request' | 'not_found' | 'busy',
    message: string,
  ) {
    super(message);
  }
}

export interface EvalProgress {
  runId: string;
  done: number;
  total: number;
  /** Per variant: samples stored and how many were right. */
  variants: Record<string, { done: number; total: number; correct: number }>;
}

export interface EvalRunnerOptions {
  store: Store;
  pipeline: TurnPipeline;
  plans: PlanCatalog;
  /** Where suites are read and downloaded. */
  suites: ResolveOptions;
  /** Consecutive failed samples after which the run stops as failed (resume retries them). Default 3. */
  maxConsecutiveFailures?: number;
  /** Waits between admission retries (429/503), in ms; default: the server's Retry-After. */
  retryDelayMs?: (attempt: number, retryAfterSeconds?: number) => number;
}

interface Task {
  variant: Variant;
  problem: EvalProblem;
  sampleIndex: number;
}

export function parseRunConfig(raw: unknown): EvalRunConfig {
  const parsed = runConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new EvalRunError(
      'invalid_request',
      `${issue?.path.join('.') || 'config'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}

export class EvalRunner {
  readonly #o: EvalRunnerOptions;

  constructor(options: EvalRunnerOptions) {
    this.#o = options;
  }

  /** The suite of a config (a file is read, `download` fetches); throws `SuiteError` with a clear message. */
  suiteOf(config: EvalRunConfig, signal?: AbortSignal): Promise<EvalSuite> {
    return resolveSuite(config.suite, { ...this.#o.suites, ...(signal ? { signal } : {}) });
  }

  /** Checks the config (plan, suite, models) and stores a new run; does not start it. */
  async create(userId: string, input: EvalRunConfigInput, name?: string): Promise<EvalRunRecord> {
    const config = parseRunConfig(input);
    if (!this.#o.plans.has(config.plan))
      throw new EvalRunError(
        'invalid_request',
        `plan "${config.plan}" is not configured: add a low-priority plan of that name to "plans" (the default config has "eval")`,
      );
    const suite = await this.suiteOf(config);
    const total = suite.problems.length * config.k * variantsOf(config).length;
    return this.#o.store.evals.createRun({
      userId,
      name: name?.trim() || `${suiteLabel(config.suite)} × ${config.models.join(', ')}`,
      config: JSON.stringify({ ...config, suiteHash: suiteHash(suite) }),
      total,
    });
  }

  /**
   * Runs the samples of `runId` not stored yet, `concurrency` at a time; resolves with the run's final
   * record (`done`, `stopped` when `signal` aborted, `failed` with the reason).
   */
  async run(
    runId: string,
    opts: { signal?: AbortSignal; onProgress?: (p: EvalProgress) => void } = {},
  ): Promise<EvalRunRecord> {
    const store = this.#o.store;
    const run = await store.evals.getRun(runId);
    if (!run) throw new EvalRunError('not_found', `no eval run ${runId}`);
    const config = parseRunConfig(JSON.parse(run.config));
    const signal = opts.signal ?? new AbortController().signal;
    await store.evals.setStatus(runId, 'running');
    try {
      const suite = await this.suiteOf(config, signal);
      if (config.suiteHash && config.suiteHash !== suiteHash(suite))
        throw new EvalRunError(
          'invalid_request',
          'the suite’s problems changed since this run started (the file was edited or downloaded again): start a new run',
        );
      const variants = variantsOf(config);
      const stored = await store.evals.listSamples(runId);
      const seen = new Set(stored.map((s) => `${s.variant}\u0000${s.problemId}\u0000${s.sampleIndex}`));
      const progress: EvalProgress = { runId, done: stored.length, total: run.total, variants: {} };
      for (const v of variants)
        progress.variants[v.id] = { done: 0, total: suite.problems.length * config.k, correct: 0 };
      for (const s of stored) {
        const p = progress.variants[s.variant];
        if (p) {
          p.done++;
          if (s.correct) p.correct++;
        }
      }
      opts.onProgress?.(structuredClone(progress));
      // Samples in problem-major order, so a stopped run has whole problems rather than whole variants.
      const tasks: Task[] = [];
      for (let i = 0; i < config.k; i++)
        for (const problem of suite.problems)
          for (const variant of variants)
            if (!seen.has(`${variant.id}\u0000${problem.id}\u0000${i}`))
              tasks.push({ variant, problem, sampleIndex: i });
      const plan = this.#o.plans.resolve(config.plan);
      const workers = Math.min(
        config.concurrency ?? plan.maxConcurrency,
        plan.maxConcurrency,
        Math.max(1, tasks.length),
      );
      let failures = 0;
      let failed = 0;
      let failure: Error | undefined;
      let lastError: Error | undefined;
      const stop = new AbortController();
      const onAbort = () => stop.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      const work = async () => {
        for (let task = tasks.shift(); task && !stop.signal.aborted; task = tasks.shift()) {
          try {
            const correct = await this.#sample(run, config, task, stop.signal);
            failures = 0;
            const p = progress.variants[task.variant.id];
            progress.done++;
            if (p) {
              p.done++;
              if (correct) p.correct++;
            }
            opts.onProgress?.(structuredClone(progress));
          } catch (err) {
            if (stop.signal.aborted) return;
            failures++;
            failed++;
            lastError = err as Error;
            // A request the model can never serve (unknown model, a cap above its context) fails the run
            // at once; other errors (an upstream down) after a few in a row.
            const fatal =
              (err instanceof InferenceError && err.code === 'invalid_request') ||
              (err instanceof GatewayError && err.code === 'unknown_model');
            if (fatal || failures >= (this.#o.maxConsecutiveFailures ?? 3)) {
              failure = err as Error;
              stop.abort();
            }
          }
        }
      };
      try {
        await Promise.all(Array.from({ length: workers }, work));
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
      if (failure) await store.evals.setStatus(runId, 'failed', explain(failure));
      else if (signal.aborted) await store.evals.setStatus(runId, 'stopped');
      else if (failed > 0)
        await store.evals.setStatus(
          runId,
          'failed',
          `${failed} sample(s) failed (resume the run to retry them): ${lastError?.message ?? 'unknown error'}`,
        );
      else await store.evals.setStatus(runId, 'done');
    } catch (err) {
      await store.evals.setStatus(runId, 'failed', (err as Error).message);
    }
    return (await store.evals.getRun(runId)) as EvalRunRecord;
  }

  /** One sample: admitted, streamed, judged, stored. Resolves whether it was right. */
  async #sample(
    run: EvalRunRecord,
    config: EvalRunConfig,
    task: Task,
    signal: AbortSignal,
  ): Promise<boolean> {
    const caller = { userId: run.userId, plan: config.plan };
    const request = requestFor(task.problem, task.variant.model, task.variant.budget, config);
    const turn = await this.#prepare(caller, request, signal);
    const grant = await this.#admit(turn, signal);
    const started = performance.now();
    let ttftMs: number | null = null;
    let text = '';
    let reasoning = '';
    let finishReason = 'error';
    let error: string | undefined;
    const usage = { prompt: 0, completion: 0, reasoning: 0 };
    try {
      for await (const chunk of this.#o.pipeline.run(turn, { signal })) {
        if (chunk.type === 'reasoning' || chunk.type === 'text') {
          ttftMs ??= Math.round(performance.now() - started);
          if (chunk.type === 'text') text += chunk.text;
          else reasoning += chunk.text;
        } else if (chunk.type === 'usage') {
          usage.prompt += chunk.promptTokens;
          usage.completion += chunk.completionTokens;
          usage.reasoning += chunk.reasoningTokens;
        } else if (chunk.type === 'done') {
          finishReason = chunk.finishReason;
          error = chunk.error;
        }
      }
    } finally {
      grant.release();
    }
    if (signal.aborted || finishReason === 'cancelled') throw new Error('cancelled');
    if (finishReason === 'error') throw new Error(error ?? 'the model failed');
    // Not on the owner's usage ledger: that is their daily chat meter, and a benchmark would exhaust it.
    // An eval's compute is accounted in the run itself (tokens and time per sample, cost in the report).
    const extraction = extractAnswer(text);
    const verdict = checkAnswer(extraction.answer, task.problem.answer, task.problem.kind);
    await this.#o.store.evals.addSample({
      runId: run.id,
      variant: task.variant.id,
      problemId: task.problem.id,
      sampleIndex: task.sampleIndex,
      correct: verdict.correct,
      method: extraction.method,
      finishReason,
      promptTokens: usage.prompt,
      reasoningTokens: usage.reasoning,
      answerTokens: Math.max(0, usage.completion - usage.reasoning),
      reasoningChars: reasoning.length,
      ttftMs,
      durationMs: Math.round(performance.now() - started),
      rawAnswer: text,
      extracted: extraction.answer,
      key: verdict.key,
      reason: finishReason === 'length' ? `cut off by the length limit; ${verdict.reason}` : verdict.reason,
    });
    return verdict.correct;
  }

  /** Resolves the model, waiting while it loads or downloads (the gateway says when to retry). */
  async #prepare(caller: { userId: string; plan: string }, request: ChatRequest, signal: AbortSignal) {
    const deadline = Date.now() + MODEL_WAIT_MS;
    for (;;) {
      try {
        return await this.#o.pipeline.prepare(caller, request);
      } catch (err) {
        const loading =
          err instanceof GatewayError &&
          err.code === 'model_not_ready' &&
          err.retryAfterSeconds !== undefined;
        if (!loading || signal.aborted || Date.now() > deadline) throw err;
        await pause(
          this.#o.retryDelayMs?.(1, err.retryAfterSeconds) ?? (err.retryAfterSeconds ?? 1) * 1000,
          signal,
        );
      }
    }
  }

  /** Admission, waiting out 429/503 refusals (Retry-After) a few times: an eval is patient, users are not. */
  async #admit(turn: Parameters<TurnPipeline['admit']>[0], signal: AbortSignal) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#o.pipeline.admit(turn, { signal });
      } catch (err) {
        const retriable = err instanceof AdmissionError && err.code !== 'quota_exceeded' && attempt < 20;
        if (!retriable || signal.aborted) throw err;
        const ms =
          this.#o.retryDelayMs?.(attempt, err.retryAfterSeconds) ?? (err.retryAfterSeconds ?? 1) * 1000;
        await pause(ms, signal);
      }
    }
  }
}

/** How long a run waits for a model that is loading or downloading before the sample fails. */
const MODEL_WAIT_MS = 15 * 60_000;

/** Waits `ms`, or less when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** A fingerprint of the problems (ids, texts, answers) a run was created with. */
export function suiteHash(suite: EvalSuite): string {
  const hash = createHash('sha256');
  for (const p of suite.problems) hash.update(JSON.stringify([p.id, p.problem, p.answer, p.kind]));
  return hash.digest('hex');
}

/** The failure as the run records it, with what to do where that is clear. */
function explain(err: Error): string {
  if (err instanceof InferenceError && /context/.test(err.message))
    return `${err.message} Lower the run's max tokens (--max-tokens), or give the model a larger context (engine.contextSize for the embedded engine).`;
  return err.message;
}
