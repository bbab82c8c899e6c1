/**
 * A real `ponder serve` child process for multi-process tests: started with a minimal environment, and
 * returned once it listens and `/readyz` says the default model is loaded.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { waitFor } from './conversations-helpers.ts';

const ROOT = resolve(import.meta.dirname, '..');

/** An engine as small as the tests need: one slot, one thread, 4096 tokens of context; info logs. */
export const SMALL_ENGINE_ENV: Record<string, string> = {
  PONDER_ENGINE_SLOTS: '1',
  PONDER_ENGINE_THREADS: '1',
  PONDER_ENGINE_BATCH_SIZE: '64',
  PONDER_ENGINE_CONTEXT_SIZE: '4096',
  PONDER_LOG_LEVEL: 'info',
};

/**
 * What a test file's `ponder serve` processes leave behind: `cleanUp` (for `after`) SIGKILLs the children in
 * `started` still running and removes the folders in `dirs`.
 */
export function serveLeftovers(): { started: ChildProcess[]; dirs: string[]; cleanUp: () => Promise<void> } {
  const started: ChildProcess[] = [];
  const dirs: string[] = [];
  const cleanUp = async () => {
    for (const child of started)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  };
  return { started, dirs, cleanUp };
}

export interface ServeProcess {
  child: ChildProcess;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** The setup code the first sign-up needs, as printed at start (undefined once an account exists). */
  setupCode: string | undefined;
  /** Everything the process wrote to stdout and stderr. */
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Spawns `node bin/ponder.js serve …args` with `env` over PATH/HOME only; `track` gets the child at once.
 * `detached` makes it lead its own process group, so a test can signal it with its engine child.
 */
export async function startServe(
  args: string[],
  env: Record<string, string>,
  track: (child: ChildProcess) => void,
  options: { detached?: boolean } = {},
): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['bin/ponder.js', 'serve', '--port', '0', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  track(child);
  const output: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`serve did not start:\n${output.join('')}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString('utf8'));
      const match = /listening on (http:\/\/[^\s]+)/.exec(output.join(''));
      if (match?.[1]) {
        clearTimeout(timer);
        ok(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then(() => fail(new Error(`serve exited:\n${output.join('')}`)));
  });
  // Ready once the default model is loaded.
  await waitFor(
    async () => ((await fetch(`${url}/readyz`).catch(() => null))?.status === 200 ? true : undefined),
    60_000,
  );
  const setupCode = /setup code: ([A-Z0-9]{5}-[A-Z0-9]{5})/.exec(output.join(''))?.[1];
  return { child, url, setupCode, output, exited };
}
