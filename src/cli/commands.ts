import type { Command } from 'commander';
import { registerChat } from './chat.ts';
import type { CliContext } from './context.ts';
import { registerEval } from './eval.ts'; // ponder eval (issue 15)
import { registerKey } from './key.ts';
import { registerKeysRotate } from './keys-rotate.ts';
import { registerMigrate } from './migrate.ts';
import { registerModels } from './models.ts';
import { registerPull } from './pull.ts';
import { registerRm } from './rm.ts';
import { registerServe } from './serve.ts';
import { registerSynthModel } from './synth-model.ts';
import { registerUser } from './user.ts';

/** Every `ponder` sub-command, one file each. */
export function registerCommands(program: Command, ctx: CliContext): void {
  registerMigrate(program, ctx);
  registerKeysRotate(program, ctx);
  registerChat(program, ctx);
  registerPull(program, ctx);
  registerModels(program, ctx);
  registerRm(program, ctx);
  registerSynthModel(program, ctx);
  registerServe(program, ctx);
  registerUser(program, ctx);
  registerKey(program, ctx);
  registerEval(program, ctx); // ponder eval (issue 15)
}
