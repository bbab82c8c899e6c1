import type { Command } from 'commander';
import type { CliContext } from './context.ts';

/** Every `ponder` sub-command, one file each. */
export function registerCommands(program: Command, ctx: CliContext): void {
  void ctx;
  void program;
}
