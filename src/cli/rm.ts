/** `ponder rm NAME`: delete a model from `<dataDir>/models`. */
import type { Command } from 'commander';
import { ModelFileError, modelsDirOf, removeModel } from '../inference/llama/model-files.ts';
import { CliError } from './cli-error.ts';
import { type CliContext, configFor } from './context.ts';

export function registerRm(program: Command, ctx: CliContext): void {
  program
    .command('rm')
    .description('remove a model from <dataDir>/models')
    .argument('<name>', 'model name as shown by `ponder models`')
    .option('--data-dir <dir>', 'data directory (default ./data)')
    .action(async (name: string, opts: { dataDir?: string }, command: Command) => {
      const config = configFor(ctx, command, { dataDir: opts.dataDir });
      try {
        const path = await removeModel(name, modelsDirOf(config.dataDir, ctx.cwd));
        process.stderr.write(`ponder: removed ${path}\n`);
      } catch (err) {
        if (err instanceof ModelFileError) throw new CliError(err.message);
        throw err;
      }
    });
}
