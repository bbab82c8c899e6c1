/** `ponder user create|list|delete|invite`: account administration without the web app. */
import type { Command } from 'commander';
import type { PonderConfig } from '../config/schema.ts';
import {
  AccountError,
  AccountHooks,
  Accounts,
  Admin,
  ApiKeys,
  MemoryRateLimiter,
  normaliseEmail,
  PasswordHasher,
} from '../core/accounts/index.ts';
import { StoreError } from '../store/index.ts';
import type { Store, UserRecord } from '../store/types.ts';
import { CliError } from './cli-error.ts';
import { type CliContext, configFor } from './context.ts';
import { openCliStore } from './open-store.ts';

export interface CliAccounts {
  store: Store;
  accounts: Accounts;
  admin: Admin;
  apiKeys: ApiKeys;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Opens the store and the account services for one CLI command. */
export async function openAccounts(config: PonderConfig): Promise<CliAccounts> {
  const store = await openCliStore(config);
  const plans = Object.keys(config.plans);
  const accounts = new Accounts({
    store,
    hasher: new PasswordHasher(),
    limiter: new MemoryRateLimiter(),
    hooks: new AccountHooks(),
    signupMode: 'open',
    defaultPlan: config.defaultPlan,
    plans,
  });
  return {
    store,
    accounts,
    admin: new Admin({ store, accounts, plans }),
    apiKeys: new ApiKeys(store),
    [Symbol.asyncDispose]: () => store.close(),
  };
}

/** Runs `fn` and turns account errors into one-line CLI errors. */
export async function withAccounts<T>(config: PonderConfig, fn: (a: CliAccounts) => Promise<T>): Promise<T> {
  await using a = await openAccounts(config);
  try {
    return await fn(a);
  } catch (err) {
    if (err instanceof AccountError || err instanceof StoreError) throw new CliError(err.message);
    throw err;
  }
}

export async function userByEmail(store: Store, email: string): Promise<UserRecord> {
  const user = await store.users.byEmail(normaliseEmail(email));
  if (!user) throw new CliError(`no user with email ${normaliseEmail(email)}`);
  return user;
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY)
    throw new CliError('--password-stdin: pipe the password in, e.g. `echo "$PW" | ponder user create …`', 2);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function registerUser(program: Command, ctx: CliContext): void {
  const user = program.command('user').description('manage user accounts');
  const dataDirOption = ['--data-dir <dir>', 'data directory (default ./data)'] as const;

  user
    .command('create')
    .description('create an account (the password is read from stdin)')
    .requiredOption('--email <email>', 'email address')
    .option('--password-stdin', 'read the password from standard input')
    .option('--admin', 'make the account an admin')
    .option(...dataDirOption)
    .action(
      async (
        opts: { email: string; passwordStdin?: boolean; admin?: boolean; dataDir?: string },
        command: Command,
      ) => {
        if (!opts.passwordStdin)
          throw new CliError('pass --password-stdin and pipe the password in (never on the command line)', 2);
        const password = await readStdin();
        const config = configFor(ctx, command, { dataDir: opts.dataDir });
        const created = await withAccounts(config, (a) =>
          a.accounts.createUser({ email: opts.email, password, ...(opts.admin ? { isAdmin: true } : {}) }),
        );
        process.stdout.write(
          `created ${created.email} (id ${created.id}${created.isAdmin ? ', admin' : ''})\n`,
        );
      },
    );

  user
    .command('list')
    .description('list accounts')
    .option('--json', 'print JSON')
    .option(...dataDirOption)
    .action(async (opts: { json?: boolean; dataDir?: string }, command: Command) => {
      const config = configFor(ctx, command, { dataDir: opts.dataDir });
      const users = await withAccounts(config, (a) => a.admin.listUsers({ limit: 100_000 }));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(users, null, 2)}\n`);
        return;
      }
      const rows = [['ID', 'EMAIL', 'ADMIN', 'DISABLED', 'PLAN', 'CREATED']];
      for (const u of users) {
        rows.push([
          u.id,
          u.email,
          u.isAdmin ? 'yes' : '',
          u.disabled ? 'yes' : '',
          u.plan,
          u.createdAt.toISOString(),
        ]);
      }
      process.stdout.write(`${table(rows)}\n`);
    });

  user
    .command('delete')
    .description('delete an account and all its data')
    .requiredOption('--email <email>', 'email address')
    .option(...dataDirOption)
    .action(async (opts: { email: string; dataDir?: string }, command: Command) => {
      const config = configFor(ctx, command, { dataDir: opts.dataDir });
      await withAccounts(config, async (a) => {
        const target = await userByEmail(a.store, opts.email);
        await a.admin.deleteUser(null, target.id);
        process.stdout.write(`deleted ${target.email}\n`);
      });
    });

  user
    .command('invite')
    .description('create an invite code (for signupMode "invite")')
    .option('--expires-hours <hours>', 'validity in hours (default 168)')
    .option(...dataDirOption)
    .action(async (opts: { expiresHours?: string; dataDir?: string }, command: Command) => {
      const hours = opts.expiresHours === undefined ? undefined : Number(opts.expiresHours);
      if (hours !== undefined && (!Number.isInteger(hours) || hours < 1 || hours > 8760)) {
        throw new CliError('--expires-hours must be an integer from 1 to 8760', 2);
      }
      const config = configFor(ctx, command, { dataDir: opts.dataDir });
      const { code, invite } = await withAccounts(config, (a) =>
        a.admin.createInvite(null, hours ? { expiresInMs: hours * 3_600_000 } : {}),
      );
      process.stdout.write(`${code}\n`);
      process.stderr.write(`ponder: invite valid until ${invite.expiresAt.toISOString()}\n`);
    });
}
