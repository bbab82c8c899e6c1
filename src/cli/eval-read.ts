/**
 * `ponder eval report | samples | list`: read stored runs (no model, no server): a run's report in any
 * format, its judged samples as JSON lines, and the runs newest first.
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { EvalService, type ReportFormat } from '../core/eval/eval-service.ts';
import { expectedAnswers, judgedSample } from '../core/eval/judged-sample.ts';
import { parseRunConfig } from '../core/eval/runner.ts';
import { resolveSuite } from '../core/eval/suites/index.ts';
import { summarise } from '../core/eval/summary.ts';
import type { Store } from '../store/types.ts';
import { CliError } from './cli-error.ts';
import { type CliContext, configFor } from './context.ts';
import { openCliStore } from './open-store.ts';

/** A flag parser for integers in [min, max]. */
export const int = (name: string, min: number, max: number) => (raw: string) => {
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max)
    throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
  return Number(raw);
};

/** Opens the configured store for one command. */
export async function withStore<T>(
  ctx: CliContext,
  command: Command,
  dataDir: string | undefined,
  fn: (store: Store, dataDir: string) => Promise<T>,
): Promise<T> {
  const config = configFor(ctx, command, { dataDir });
  const store = await openCliStore(config);
  try {
    return await fn(store, config.dataDir);
  } finally {
    await store.close();
  }
}

export function registerEvalReading(cmd: Command, ctx: CliContext): void {
  cmd
    .command('report <run-id>')
    .description("print a run's report")
    .option('--format <text|markdown|html|json>', 'report format', 'text')
    .option('--out <file>', 'write it to a file instead of stdout')
    .option('--data-dir <dir>', 'data directory (default ./data)')
    .action(
      async (runId: string, flags: { format: string; out?: string; dataDir?: string }, command: Command) => {
        if (!['text', 'markdown', 'html', 'json'].includes(flags.format))
          throw new CliError(`--format must be text, markdown, html or json, got "${flags.format}"`, 2);
        await withStore(ctx, command, flags.dataDir, async (store, dir) => {
          const run = await store.evals.getRun(runId);
          if (!run) throw new CliError(`no eval run ${runId}`);
          const config = parseRunConfig(JSON.parse(run.config));
          // Reports need no model: the suite is rebuilt from the run's spec (a file must still be there).
          const suite = await resolveSuite(config.suite, { dataDir: dir, cwd: ctx.cwd }).catch(
            (err: unknown) => {
              throw new CliError((err as Error).message);
            },
          );
          const text = EvalService.render(
            summarise(run, config, suite, await store.evals.listSamples(run.id)),
            flags.format as ReportFormat,
          );
          if (flags.out) await writeFile(flags.out, text);
          else process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
        });
      },
    );

  cmd
    .command('samples <run-id>')
    .description("print a run's judged samples as JSON lines (answer, extracted, expected, reason)")
    .option('--variant <model|budget>', 'only this model and budget, e.g. "tiny|default"')
    .option('--wrong', 'only the samples judged wrong')
    .option('--limit <n>', 'at most n samples', int('--limit', 1, 1_000_000), 100)
    .option('--data-dir <dir>', 'data directory (default ./data)')
    .action(
      async (
        runId: string,
        flags: { variant?: string; wrong?: boolean; limit: number; dataDir?: string },
        command: Command,
      ) => {
        await withStore(ctx, command, flags.dataDir, async (store, dir) => {
          const run = await store.evals.getRun(runId);
          if (!run) throw new CliError(`no eval run ${runId}`);
          const config = parseRunConfig(JSON.parse(run.config));
          const suite = await resolveSuite(config.suite, { dataDir: dir, cwd: ctx.cwd }).catch(
            () => undefined,
          );
          const expected = expectedAnswers(suite);
          const samples = (await store.evals.listSamples(run.id))
            .filter((x) => (!flags.variant || x.variant === flags.variant) && (!flags.wrong || !x.correct))
            .slice(0, flags.limit);
          for (const x of samples)
            process.stdout.write(
              `${JSON.stringify({ ...judgedSample(x, expected), rawAnswer: x.rawAnswer })}\n`,
            );
        });
      },
    );

  cmd
    .command('list')
    .description('list eval runs, newest first')
    .option('--data-dir <dir>', 'data directory (default ./data)')
    .action(async (flags: { dataDir?: string }, command: Command) => {
      await withStore(ctx, command, flags.dataDir, async (store) => {
        const runs = await store.evals.listRuns({ limit: 100 });
        if (runs.length === 0) process.stdout.write('no eval runs\n');
        for (const r of runs)
          process.stdout.write(
            `${r.id}  ${r.status.padEnd(7)}  ${`${r.done}/${r.total}`.padEnd(11)}  ${r.createdAt.toISOString()}  ${r.name}\n`,
          );
      });
    });
}
