/**
 * The one entry point: builds the `ponder` command line and wires configuration into each command.
 * Nothing in src/ runs on import; everything starts from `main()`.
 */
import { Command, CommanderError } from 'commander';
import { CliError } from './cli/cli-error.ts';
import { registerCommands } from './cli/commands.ts';
import { ConfigError } from './config/load.ts';

export async function main(argv: string[]): Promise<number> {
  const program = new Command('ponder')
    .description('Ponder: a self-hostable reasoning assistant for DeepSeek-R1-family models')
    .option('--config <file>', 'configuration file (default ./ponder.config.json)')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });
  registerCommands(program, { env: process.env, cwd: process.cwd() });
  if (argv.length === 0) argv = ['--help'];
  const unknown = unknownCommand(program, argv);
  if (unknown !== null) {
    // Commander shows the main help for `ponder nosuch --help` and exits 0, hiding the typo.
    process.stderr.write(
      `ponder: unknown command '${unknown}'. Run 'ponder --help' for the list of commands.\n`,
    );
    return 2;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return reportError(err);
  }
}

/** The first operand when it names no command (options and `--config`'s value are skipped). */
function unknownCommand(program: Command, argv: string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--config') {
      i++;
      continue;
    }
    if (arg.startsWith('-')) continue;
    const known = program.commands.some((c) => c.name() === arg || c.aliases().includes(arg));
    return known || arg === 'help' ? null : arg;
  }
  return null;
}

function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // Help and version output exit through here with code 0; usage errors were already printed.
    return err.exitCode;
  }
  if (err instanceof ConfigError) {
    process.stderr.write(`ponder: configuration error: ${err.message}\n`);
    return 2;
  }
  if (err instanceof CliError) {
    process.stderr.write(`ponder: ${err.message}\n`);
    return err.exitCode;
  }
  // One line, no stack trace: a stack is for developers, who can run with --stack-trace-limit or a debugger.
  process.stderr.write(`ponder: unexpected error: ${(err as Error)?.message ?? String(err)}\n`);
  return 1;
}
