/** `ponder pull <source>`: download a GGUF model into `<dataDir>/models/` with a progress bar on stderr. */
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { modelsDirOf } from '../inference/llama/model-files.ts';
import { PullError, type PullProgress, pullModel } from '../inference/llama/pull.ts';
import { CliError } from './cli-error.ts';
import { type CliContext, configFor, hfEndpointOf } from './context.ts';

/** `1.5 GB`, `312.4 MB`, `900 B` (decimal units, as download sizes are usually shown). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '--';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** A byte progress bar on stderr: a live bar on a terminal, a line every few seconds otherwise. */
export interface ByteProgressBar {
  update(bytes: number, total: number | null, bytesPerSecond?: number, etaSeconds?: number | null): void;
  stop(): void;
}

export function createByteProgressBar(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
): ByteProgressBar {
  const bar = new cliProgress.SingleBar({
    stream,
    format: `${label} [{bar}] {percentage}% | {done} / {size} | {speed} | ETA {etaText}`,
    hideCursor: stream.isTTY === true,
    noTTYOutput: true,
    notTTYSchedule: 3000,
    barsize: 30,
    fps: 8,
  });
  let started = false;
  return {
    update(bytes, total, bytesPerSecond, etaSeconds) {
      const payload = {
        done: formatBytes(bytes),
        size: total === null ? '?' : formatBytes(total),
        speed: bytesPerSecond === undefined ? '' : `${formatBytes(Math.round(bytesPerSecond))}/s`,
        etaText: formatDuration(etaSeconds ?? null),
      };
      const max = Math.max(total ?? bytes, bytes, 1);
      if (!started) {
        bar.start(max, bytes, payload);
        started = true;
      } else {
        bar.setTotal(max);
        bar.update(bytes, payload);
      }
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

export function registerPull(program: Command, ctx: CliContext): void {
  program
    .command('pull')
    .description('download a GGUF model into <dataDir>/models (resumable, size-checked)')
    .argument('<source>', 'hf:user/repo:QUANT, an https:// URL to a .gguf, or a local .gguf path')
    .option('--data-dir <dir>', 'data directory (default ./data)')
    .action(async (source: string, opts: { dataDir?: string }, command: Command) => {
      const config = configFor(ctx, command, { dataDir: opts.dataDir });
      const modelsDir = modelsDirOf(config.dataDir, ctx.cwd);
      const hfBaseUrl = hfEndpointOf(ctx);
      const bar = createByteProgressBar('pull');
      const abort = new AbortController();
      const onSignal = () => abort.abort();
      process.once('SIGINT', onSignal);
      try {
        const result = await pullModel(source, {
          modelsDir,
          cwd: ctx.cwd,
          signal: abort.signal,
          ...(hfBaseUrl ? { hfBaseUrl } : {}),
          onProgress: (p: PullProgress) => bar.update(p.bytes, p.total, p.bytesPerSecond, p.etaSeconds),
        });
        bar.stop();
        const verb = result.fetched ? 'saved' : 'already present';
        process.stderr.write(`ponder: ${result.name} ${verb} (${formatBytes(result.sizeBytes)})\n`);
        process.stdout.write(`${result.path}\n`);
      } catch (err) {
        bar.stop();
        if (err instanceof PullError)
          throw new CliError(`pull failed: ${err.message}`, err.code === 'aborted' ? 130 : 1);
        throw err;
      } finally {
        process.off('SIGINT', onSignal);
      }
    });
}
