/** `ponder serve`: the HTTP server (web app, `/api`, `/v1`) until SIGTERM/SIGINT. */
import type { Command } from 'commander';
import { ConfigError } from '../config/load.ts';
import { startServer } from '../server/start.ts';
import { StoreError } from '../store/index.ts';
import { CliError } from './cli-error.ts';
import { type CliContext, configFor, hfEndpointOf } from './context.ts';

const LOG_FORMATS: readonly string[] = ['auto', 'json', 'human'];

interface ServeFlags {
  host?: string;
  port?: string;
  dataDir?: string;
  model?: string;
  pull: boolean;
  shutdownGrace?: string;
  logFormat?: string;
}

function parseIntFlag(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new CliError(`--${name} must be an integer from ${min} to ${max}, got "${raw}"`, 2);
  }
  return Number(raw);
}

export function registerServe(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('run the Ponder server: web app, web API and OpenAI-compatible /v1 API')
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--port <port>', 'port to listen on (default 3000; 0 picks a free one)')
    .option('--data-dir <dir>', 'data directory (default ./data)')
    .option('--model <path|name>', 'default model: a .gguf path or a name under <dataDir>/models')
    .option('--no-pull', 'do not download the default model when it is missing')
    .option('--shutdown-grace <seconds>', 'time running generations get to finish on shutdown (default 10)')
    .option('--log-format <auto|json|human>', 'log lines: human on a terminal, JSON otherwise (default auto)')
    .action(async (flags: ServeFlags, command: Command) => {
      if (flags.logFormat !== undefined && !LOG_FORMATS.includes(flags.logFormat)) {
        throw new CliError(`--log-format must be auto, json or human, got "${flags.logFormat}"`, 2);
      }
      const hfBaseUrl = hfEndpointOf(ctx);
      const config = configFor(ctx, command, {
        host: flags.host,
        port: parseIntFlag('port', flags.port, 0, 65535),
        dataDir: flags.dataDir,
        model: flags.model,
        logFormat: flags.logFormat,
      });
      const grace = parseIntFlag('shutdown-grace', flags.shutdownGrace, 0, 3600);
      let server: Awaited<ReturnType<typeof startServer>>;
      try {
        server = await startServer(config, {
          autoPull: flags.pull,
          ...(hfBaseUrl ? { hfBaseUrl } : {}),
          ...(grace !== undefined ? { shutdownGraceMs: grace * 1000 } : {}),
        });
      } catch (err) {
        if (err instanceof StoreError || err instanceof ConfigError) throw new CliError(err.message);
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE')
          throw new CliError(`port ${config.port} on ${config.host} is already in use`);
        if (code === 'EACCES') throw new CliError(`not allowed to listen on ${config.host}:${config.port}`);
        throw err;
      }
      process.stderr.write(`ponder: listening on ${server.url}\n`);
      await new Promise<void>((resolve) => {
        let signals = 0;
        const onSignal = (signal: NodeJS.Signals) => {
          signals++;
          if (signals > 1) {
            process.stderr.write('ponder: second signal, exiting now\n');
            process.exit(130);
          }
          server.shutdown(signal).then(resolve, (err: unknown) => {
            process.stderr.write(`ponder: shutdown error: ${(err as Error)?.message}\n`);
            process.exitCode = 1;
            resolve();
          });
        };
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
      });
    });
}
