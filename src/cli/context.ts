import type { Command } from 'commander';
import { type ConfigOverrides, loadConfig } from '../config/load.ts';
import type { PonderConfig } from '../config/schema.ts';
import { CliError } from './cli-error.ts';

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

/**
 * `HF_ENDPOINT`, the Hugging Face hub's own variable for a mirror (as `huggingface-cli` reads it), for
 * `hf:` downloads; undefined when unset.
 */
export function hfEndpointOf(ctx: CliContext): string | undefined {
  const raw = ctx.env.HF_ENDPOINT?.trim();
  if (!raw) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'https:' && url?.protocol !== 'http:') {
    throw new CliError(`HF_ENDPOINT must be an http(s) URL, got "${raw}"`, 2);
  }
  return raw.replace(/\/+$/, '');
}
