import type { Command } from 'commander';
import { type ConfigOverrides, loadConfig } from '../config/load.ts';
import type { PonderConfig } from '../config/schema.ts';

/** What the entry point hands every command: the process environment and working directory, read once. */
export interface CliContext {
  env: Record<string, string | undefined>;
  cwd: string;
}

/** Resolves the configuration for a command: file < env < the given CLI flag overrides. */
export function configFor(ctx: CliContext, command: Command, flags: ConfigOverrides = {}): PonderConfig {
  const root = command.optsWithGlobals() as { config?: string };
  return loadConfig({ cwd: ctx.cwd, env: ctx.env, flags, configFile: root.config });
}
