/**
 * `ponder eval`: run a suite against models through Ponder's own turn pipeline and admission, with
 * progress bars; resume a run; print or write its report; list runs.
 *
 *   ponder eval run --suite arithmetic --count 30 --model default -k 4 --budgets default,256,1024
 *   ponder eval run --suite math500 --download --model r1-distill-qwen-1.5b -k 4
 *   ponder eval run --resume <run-id>        (also: ponder eval resume <run-id>)
 *   ponder eval report <run-id> [--format text|markdown|html|json] [--out file]
 *   ponder eval list
 *
 * `run` starts Ponder in this process (the configured store, embedded engine and upstreams, listening on
 * 127.0.0.1 on a free port only), so turns pass the same pipeline, plan limits and admission as users'.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import type { PonderConfig } from '../config/schema.ts';
import { EvalService } from '../core/eval/eval-service.ts';
import type { EvalRunConfigInput, Price } from '../core/eval/run-config.ts';
import { EvalRunError, EvalRunner, parseRunConfig } from '../core/eval/runner.ts';
import {
  isGenerated,
  isStandard,
  type ResolveOptions,
  resolveSuite,
  SuiteError,
  type SuiteSpec,
} from '../core/eval/suites/index.ts';
import { summarise } from '../core/eval/summary.ts';
import { createGuardedFetch } from '../inference/net/guarded-fetch.ts';
import { createLogger } from '../server/security/logging.ts';
import { startServer } from '../server/start.ts';
import { StoreError } from '../store/index.ts';
import type { Store } from '../store/types.ts';
import { CliError } from './cli-error.ts';
import { type CliContext, configFor, hfEndpointOf } from './context.ts';
import { int, registerEvalReading, withStore } from './eval-read.ts';

interface RunFlags {
  suite?: string;
  file?: string;
  download?: boolean;
  seed: number;
  count: number;
  level?: number;
  limit?: number;
  model: string[];
  k?: number;
  budgets: string;
  maxTokens?: number;
  concurrency?: number;
  plan?: string;
  price: string[];
  name?: string;
  as?: string;
  resume?: string;
  dataDir?: string;
  progress: boolean;
  report?: string;
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** `model=input,output` (USD per million tokens). */
export function parsePrice(raw: string): [string, Price] {
  const m = /^(.+)=(\d+(?:\.\d+)?),(\d+(?:\.\d+)?)$/.exec(raw);
  if (!m)
    throw new CliError(`--price must look like model=INPUT,OUTPUT (USD per million tokens), got "${raw}"`, 2);
  return [m[1] as string, { inputPerMTok: Number(m[2]), outputPerMTok: Number(m[3]) }];
}

export function suiteSpecOf(f: RunFlags): SuiteSpec {
  const name = f.suite ?? (f.file ? 'file' : undefined);
  if (!name)
    throw new CliError(
      '--suite is required (arithmetic, units, dates, logic, gsm8k, math500, aime2024, aime2025, or file with --file)',
      2,
    );
  if (isGenerated(name)) {
    if (f.file || f.download)
      throw new CliError(`--file and --download are for standard suites, not "${name}"`, 2);
    return { type: 'generated', name, seed: f.seed, count: f.count, ...(f.level ? { level: f.level } : {}) };
  }
  if (f.level !== undefined) throw new CliError('--level is for generated suites', 2);
  if (isStandard(name))
    return {
      type: 'standard',
      name,
      ...(f.file ? { file: f.file } : {}),
      ...(f.download ? { download: true } : {}),
      ...(f.limit ? { limit: f.limit } : {}),
    };
  if (name === 'file') {
    if (!f.file) throw new CliError('--suite file needs --file <path>', 2);
    return { type: 'file', file: f.file, ...(f.limit ? { limit: f.limit } : {}) };
  }
  throw new CliError(`unknown suite "${name}"`, 2);
}

/** Where suites come from: files from the working directory, downloads through the guarded fetcher. */
function suiteSources(ctx: CliContext, config: PonderConfig): ResolveOptions {
  const hfBaseUrl = hfEndpointOf(ctx);
  return {
    dataDir: config.dataDir,
    cwd: ctx.cwd,
    fetch: createGuardedFetch({
      allowPrivateHosts: config.fetch.allowPrivateHosts,
      maxBytes: 64 * 1024 * 1024,
      timeoutMs: 30_000,
    }),
    ...(hfBaseUrl ? { hfBaseUrl } : {}),
  };
}

async function ownerOf(store: Store, email: string | undefined): Promise<string> {
  if (email) {
    const user = await store.users.byEmail(email);
    if (!user?.isAdmin) throw new CliError(`--as ${email}: no admin account with that email`, 2);
    return user.id;
  }
  const admin = (await store.users.list({ limit: 1000 })).find((u) => u.isAdmin);
  if (!admin)
    throw new CliError(
      'eval runs belong to an admin: create one first (`ponder user create --admin`) or pass --as <email>',
    );
  return admin.id;
}

function bars(enabled: boolean) {
  if (!enabled) return { update: () => {}, stop: () => {} };
  const multi = new MultiBar(
    {
      format: ' {bar} {value}/{total} {variant}  right {correct}',
      hideCursor: true,
      clearOnComplete: false,
      stream: process.stderr,
    },
    Presets.shades_classic,
  );
  const byVariant = new Map<string, SingleBar>();
  return {
    update(p: { variants: Record<string, { done: number; total: number; correct: number }> }) {
      for (const [variant, v] of Object.entries(p.variants)) {
        let bar = byVariant.get(variant);
        if (!bar) {
          bar = multi.create(v.total, v.done, { variant, correct: v.correct });
          byVariant.set(variant, bar);
        }
        bar.update(v.done, { variant, correct: v.correct });
      }
    },
    stop: () => multi.stop(),
  };
}

async function runCommand(ctx: CliContext, command: Command, f: RunFlags): Promise<void> {
  const paths = f.model.filter((m) => m.endsWith('.gguf') || existsSync(m));
  if (f.resume) paths.push(...(await storedEngineModel(ctx, command, f)));
  if (paths.length > 1)
    throw new CliError('at most one --model may be a .gguf file (it becomes the embedded default model)', 2);
  const config = configFor(ctx, command, {
    dataDir: f.dataDir,
    host: '127.0.0.1',
    port: 0,
    ...(paths[0] ? { model: resolve(ctx.cwd, paths[0]) } : {}),
  });
  // A new run's suite is checked before Ponder starts (a missing file should not wait for a model load).
  if (!f.resume)
    await resolveSuite(suiteSpecOf(f), suiteSources(ctx, config)).catch((err: unknown) => {
      throw err instanceof SuiteError ? new CliError(err.message, 2) : err;
    });
  const logger = createLogger({ level: 'warn', stream: process.stderr });
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(config, { autoPull: false, logger, shutdownGraceMs: 0 });
  } catch (err) {
    if (err instanceof StoreError) throw new CliError(err.message);
    throw err;
  }
  try {
    const app = server.app.ponder;
    const runner = new EvalRunner({
      store: app.store,
      pipeline: app.services.pipeline,
      plans: app.plans,
      suites: suiteSources(ctx, config),
    });
    let runId = f.resume;
    if (!runId) {
      const defaultModel = app.deps.defaultModel;
      const models = (f.model.length ? f.model : ['default']).map((m) =>
        m === 'default' || paths.includes(m) ? (defaultModel ?? m) : m,
      );
      const input: EvalRunConfigInput = {
        suite: suiteSpecOf(f),
        models,
        budgets: f.budgets.split(',').map((b) => b.trim()),
        ...(f.k ? { k: f.k } : {}),
        ...(f.maxTokens ? { maxTokens: f.maxTokens } : {}),
        ...(f.concurrency ? { concurrency: f.concurrency } : {}),
        ...(f.plan ? { plan: f.plan } : {}),
        prices: Object.fromEntries(f.price.map(parsePrice)),
        ...(paths[0] ? { engineModel: resolve(ctx.cwd, paths[0]) } : {}),
      };
      const run = await runner.create(await ownerOf(app.store, f.as), input, f.name);
      runId = run.id;
      process.stderr.write(
        `eval run ${run.id}: ${run.total} samples (resume with: ponder eval run --resume ${run.id})\n`,
      );
    }
    const progress = bars(f.progress && process.stderr.isTTY === true);
    const abort = new AbortController();
    const onInterrupt = () => abort.abort();
    process.once('SIGINT', onInterrupt);
    process.once('SIGTERM', onInterrupt);
    let last = '';
    const final = await runner.run(runId, {
      signal: abort.signal,
      onProgress: (p) => {
        progress.update(p);
        if (!process.stderr.isTTY || !f.progress) {
          const line = `${p.done}/${p.total}`;
          if (line !== last) process.stderr.write(`progress ${runId} ${line}\n`);
          last = line;
        }
      },
    });
    progress.stop();
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
    const samples = await app.store.evals.listSamples(final.id);
    const runConfig = parseRunConfig(JSON.parse(final.config));
    const summary = summarise(final, runConfig, await runner.suiteOf(runConfig), samples);
    process.stdout.write(EvalService.render(summary, 'text'));
    if (f.report) await writeReports(summary, f.report);
    if (final.status === 'failed') throw new CliError(`the run failed: ${final.error ?? 'unknown error'}`);
    if (final.status === 'stopped')
      process.stderr.write(`stopped; resume with: ponder eval run --resume ${final.id}\n`);
  } catch (err) {
    if (err instanceof EvalRunError || err instanceof SuiteError) throw new CliError(err.message, 2);
    throw err;
  } finally {
    await server.shutdown('eval finished');
  }
}

/** The `.gguf` a stored run was started with (`--model path`), loaded again to resume it. */
async function storedEngineModel(ctx: CliContext, command: Command, f: RunFlags): Promise<string[]> {
  if (!f.resume || f.model.length > 0) return [];
  return withStore(ctx, command, f.dataDir, async (store) => {
    const run = await store.evals.getRun(f.resume as string);
    if (!run) throw new CliError(`no eval run ${f.resume}`);
    const engineModel = (JSON.parse(run.config) as { engineModel?: unknown }).engineModel;
    return typeof engineModel === 'string' ? [engineModel] : [];
  });
}

/** `<prefix>.md`, `<prefix>.html`, `<prefix>-tokens.svg`, `<prefix>-seconds.svg`. */
async function writeReports(
  summary: Parameters<typeof EvalService.render>[0],
  prefix: string,
): Promise<void> {
  const { budgetCurveSvgs } = await import('../core/eval/report-html.ts');
  const [tokens, seconds] = budgetCurveSvgs(summary);
  await writeFile(`${prefix}.md`, EvalService.render(summary, 'markdown'));
  await writeFile(`${prefix}.html`, EvalService.render(summary, 'html'));
  await writeFile(`${prefix}-tokens.svg`, tokens);
  await writeFile(`${prefix}-seconds.svg`, seconds);
  process.stderr.write(`wrote ${prefix}.md, ${prefix}.html, ${prefix}-tokens.svg, ${prefix}-seconds.svg\n`);
}

export function registerEval(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('eval')
    .description('verify the claims: run reasoning benchmarks through Ponder and report');
  cmd
    .command('run')
    .description('run a suite against models (temperature 0.6, top-p 0.95, k samples, \\boxed{} answers)')
    .option(
      '--suite <name>',
      'arithmetic | units | dates | logic (generated), gsm8k | math500 | aime2024 | aime2025, or file',
    )
    .option('--file <path>', 'a local JSONL/JSON/CSV file for the suite')
    .option('--download', 'download the standard suite from its public URL (needs network access)')
    .option('--seed <n>', 'seed of a generated suite', int('--seed', 0, 2 ** 31), 1)
    .option('--count <n>', 'problems in a generated suite', int('--count', 1, 10_000), 30)
    .option('--level <n>', 'difficulty 1–3 of a generated suite (default: all three)', int('--level', 1, 3))
    .option('--limit <n>', 'only the first n problems of a file suite', int('--limit', 1, 100_000))
    .option(
      '--model <id|path>',
      'model id (repeatable; "default": the default model; a .gguf path: loaded embedded)',
      collect,
      [],
    )
    .option('-k, --k <n>', 'samples per problem (default 1)', int('-k', 1, 256))
    .option(
      '--budgets <list>',
      'thinking settings, comma-separated: default, off, low, medium, high, or tokens',
      'default',
    )
    .option(
      '--max-tokens <n>',
      'generated tokens per sample, reasoning included (default 32768)',
      int('--max-tokens', 1, 1_000_000),
    )
    .option(
      '--concurrency <n>',
      "samples in flight (default and maximum: the plan's concurrency)",
      int('--concurrency', 1, 64),
    )
    .option('--plan <name>', 'plan the turns are admitted under (default eval)')
    .option(
      '--price <model=in,out>',
      'USD per million input,output tokens for the cost column (repeatable)',
      collect,
      [],
    )
    .option('--name <text>', 'name of the run')
    .option('--as <email>', 'admin account that owns the run (default: the first admin)')
    .option('--resume <run-id>', 'continue a stored run: only its missing samples run')
    .option('--report <prefix>', 'also write <prefix>.md, .html and the budget-curve SVGs')
    .option('--no-progress', 'no progress bars')
    .option('--data-dir <dir>', 'data directory (default ./data)')
    .action((flags: RunFlags, command: Command) => runCommand(ctx, command, flags));

  cmd
    .command('resume <run-id>')
    .description('continue a stored run (same as run --resume)')
    .option('--model <path>', 'the .gguf to load (default: the one the run was started with)', collect, [])
    .option('--no-progress', 'no progress bars')
    .option('--report <prefix>', 'also write <prefix>.md, .html and the budget-curve SVGs')
    .option('--data-dir <dir>', 'data directory (default ./data)')
    .action((runId: string, flags: Partial<RunFlags>, command: Command) =>
      runCommand(ctx, command, {
        seed: 1,
        count: 30,
        model: [],
        budgets: 'default',
        price: [],
        progress: flags.progress ?? true,
        ...flags,
        resume: runId,
      }),
    );

  registerEvalReading(cmd, ctx);
}
