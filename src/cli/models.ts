/** `ponder models`: the GGUF models in `<dataDir>/models` (name, size, quant, path). */
import type { Command } from 'commander';
import { listModels, ModelFileError, modelsDirOf } from '../inference/llama/model-files.ts';
import { CliError } from './cli-error.ts';
import { type CliContext, configFor } from './context.ts';
import { formatBytes } from './pull.ts';

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function registerModels(program: Command, ctx: CliContext): void {
  program
    .command('models')
    .description('list the GGUF models in <dataDir>/models')
    .option('--data-dir <dir>', 'data directory (default ./data)')
    .option('--json', 'print JSON instead of a table')
    .action(async (opts: { dataDir?: string; json?: boolean }, command: Command) => {
      const config = configFor(ctx, command, { dataDir: opts.dataDir });
      const modelsDir = modelsDirOf(config.dataDir, ctx.cwd);
      let models: Awaited<ReturnType<typeof listModels>>;
      try {
        models = await listModels(modelsDir);
      } catch (err) {
        if (err instanceof ModelFileError) throw new CliError(err.message);
        throw err;
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(models, null, 2)}\n`);
        return;
      }
      if (models.length === 0) {
        process.stderr.write(
          `ponder: no models in ${modelsDir}. Download one with \`ponder pull <source>\` or pass --model /path/to/model.gguf\n`,
        );
        return;
      }
      const rows = [['NAME', 'SIZE', 'QUANT', 'PATH']];
      for (const m of models) {
        rows.push([
          m.name,
          formatBytes(m.sizeBytes),
          m.quant ?? '?',
          m.problem ? `${m.path}  (unusable)` : m.path,
        ]);
      }
      process.stdout.write(`${table(rows)}\n`);
      for (const m of models) if (m.problem) process.stderr.write(`ponder: warning: ${m.problem}\n`);
    });
}
