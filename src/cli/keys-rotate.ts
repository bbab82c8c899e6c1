/**
 * `ponder keys rotate`: re-wraps every user's data key under a new master key (data itself is not
 * re-encrypted). Stop running Ponder instances first: they hold the old key in memory.
 */
import type { Command } from 'commander';
import { rotateKeyFile, StoreError } from '../store/index.ts';
import { CliError } from './cli-error.ts';
import { type CliContext, configFor } from './context.ts';
import { openCliStore } from './open-store.ts';

interface RotateOptions {
  newKey?: string;
  keepOld?: boolean;
  dataDir?: string;
}

export function registerKeysRotate(program: Command, ctx: CliContext): void {
  const keys =
    program.commands.find((c) => c.name() === 'keys') ??
    program.command('keys').description('manage the master key that protects all encrypted data');
  keys
    .command('rotate')
    .description('re-wrap every user data key under a new master key (generated unless --new-key is given)')
    .option('--new-key <key>', 'the new master key: 64 hex chars or base64 of 32 bytes')
    .option(
      '--keep-old',
      'keep the previous key file as master.key.old-<timestamp> (default: removed on success)',
    )
    .option('--data-dir <dir>', 'data directory (default ./data)')
    .action(async (opts: RotateOptions, command: Command) => {
      const config = configFor(ctx, command, { dataDir: opts.dataDir });
      const fromEnv = config.masterKey !== undefined;
      if (fromEnv && opts.newKey === undefined) {
        throw new CliError(
          'the master key comes from PONDER_MASTER_KEY (or the config file): pass --new-key <64 hex chars>, then set PONDER_MASTER_KEY to it before restarting',
        );
      }
      const store = await openCliStore(config);
      try {
        if (fromEnv) {
          const r = await store.rotateMasterKey(opts.newKey as string);
          process.stdout.write(
            `re-wrapped ${r.rewrapped} user data key(s) (key version ${r.keyVersion}); now set PONDER_MASTER_KEY to the new key and restart Ponder\n`,
          );
          return;
        }
        const r = await rotateKeyFile(store, config.dataDir, {
          ...(opts.newKey !== undefined ? { newKey: opts.newKey } : {}),
          keepOld: opts.keepOld === true,
        });
        process.stdout.write(
          `re-wrapped ${r.rewrapped} user data key(s) (key version ${r.keyVersion}); new key in ${r.keyFile}` +
            (r.oldKeyFile ? `; previous key kept in ${r.oldKeyFile}` : '') +
            '\n',
        );
      } catch (err) {
        if (err instanceof StoreError) throw new CliError(err.message);
        throw err;
      } finally {
        await store.close();
      }
    });
}
