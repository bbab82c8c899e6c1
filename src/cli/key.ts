/** `ponder key create|list|revoke`: API keys for the OpenAI-compatible `/v1` API. */
import type { Command } from 'commander';
import { CliError } from './cli-error.ts';
import { type CliContext, configFor } from './context.ts';
import { userByEmail, withAccounts } from './user.ts';

export function registerKey(program: Command, ctx: CliContext): void {
  const key = program.command('key').description('manage API keys for the /v1 API');
  const dataDirOption = ['--data-dir <dir>', 'data directory (default ./data)'] as const;

  key
    .command('create')
    .description('create an API key and print it (shown once)')
    .requiredOption('--user <email>', 'owner of the key')
    .requiredOption('--name <name>', 'a name to recognise the key by')
    .option(...dataDirOption)
    .action(async (opts: { user: string; name: string; dataDir?: string }, command: Command) => {
      const config = configFor(ctx, command, { dataDir: opts.dataDir });
      const created = await withAccounts(config, async (a) => {
        const user = await userByEmail(a.store, opts.user);
        return a.apiKeys.create(user.id, opts.name);
      });
      process.stdout.write(`${created.key}\n`);
      process.stderr.write(`ponder: key ${created.record.id} created; it is not shown again\n`);
    });

  key
    .command('list')
    .description("list a user's API keys (prefix and last use only)")
    .requiredOption('--user <email>', 'owner of the keys')
    .option('--json', 'print JSON')
    .option(...dataDirOption)
    .action(async (opts: { user: string; json?: boolean; dataDir?: string }, command: Command) => {
      const config = configFor(ctx, command, { dataDir: opts.dataDir });
      const keys = await withAccounts(config, async (a) => {
        const user = await userByEmail(a.store, opts.user);
        return a.apiKeys.list(user.id);
      });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(keys, null, 2)}\n`);
        return;
      }
      for (const k of keys) {
        process.stdout.write(
          `${k.id}  ${k.prefix}…  ${k.name}  created ${k.createdAt.toISOString()}  last used ${k.lastUsedAt?.toISOString() ?? 'never'}\n`,
        );
      }
    });

  key
    .command('revoke')
    .description('revoke an API key by id')
    .argument('<id>', 'key id (from `ponder key list`)')
    .option('--user <email>', 'owner of the key (faster on large instances)')
    .option(...dataDirOption)
    .action(async (id: string, opts: { user?: string; dataDir?: string }, command: Command) => {
      const config = configFor(ctx, command, { dataDir: opts.dataDir });
      const revoked = await withAccounts(config, async (a) => {
        const owners = opts.user
          ? [await userByEmail(a.store, opts.user)]
          : await a.store.users.list({ limit: 1_000_000 });
        for (const owner of owners) if (await a.apiKeys.revoke(owner.id, id)) return true;
        return false;
      });
      if (!revoked) throw new CliError(`no active key with id ${id}`);
      process.stdout.write(`revoked ${id}\n`);
    });
}
