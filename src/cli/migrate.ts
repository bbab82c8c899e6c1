/** `ponder migrate`: create or upgrade the database schema (also done by every `openStore`). */
import type { Command } from 'commander';
import { migrateDatabase, StoreError } from '../store/index.ts';
import { CliError } from './cli-error.ts';
import { type CliContext, configFor } from './context.ts';

export function registerMigrate(program: Command, ctx: CliContext): void {
  program
    .command('migrate')
    .description('create or upgrade the database schema (SQLite in the data dir, or PONDER_DATABASE_URL)')
    .option('--data-dir <dir>', 'data directory (default ./data)')
    .action(async (opts: { dataDir?: string }, command: Command) => {
      const config = configFor(ctx, command, { dataDir: opts.dataDir });
      let report: Awaited<ReturnType<typeof migrateDatabase>>;
      try {
        report = await migrateDatabase({
          dataDir: config.dataDir,
          ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
        });
      } catch (err) {
        if (err instanceof StoreError) throw new CliError(err.message);
        throw err;
      }
      // Never print the database URL: it may carry a password.
      const where =
        report.dialect === 'postgres' ? 'PostgreSQL database' : `SQLite database in ${config.dataDir}`;
      const latest = report.all[report.all.length - 1] ?? 'none';
      if (report.applied.length === 0) {
        process.stdout.write(`${where} is up to date (schema ${latest})\n`);
      } else {
        process.stdout.write(`${where}: applied ${report.applied.join(', ')} (schema ${latest})\n`);
      }
    });
}
