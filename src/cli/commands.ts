import type { Command } from 'commander';
import { registerChat } from './chat.ts';
import type { CliContext } from './context.ts';
import { registerModels } from './models.ts';
import { registerPull } from './pull.ts';
import { registerRm } from './rm.ts';
import { registerSynthModel } from './synth-model.ts';

/** Every `ponder` sub-command, one file each. */
export function registerCommands(program: Command, ctx: CliContext): void {
  registerChat(program, ctx);
  registerPull(program, ctx);
  registerModels(program, ctx);
  registerRm(program, ctx);
  registerSynthModel(program, ctx);
}
