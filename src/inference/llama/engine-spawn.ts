/**
 * Starting the engine child (`engine-process.ts`): the fork with one libuv thread, the `init` handshake
 * and the wait for `ready`. What happens after (messages, exits, restarts) belongs to the provider, which
 * gets them through the callbacks.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { InferenceError } from '../types.ts';
import type { ChildMessage, EngineConfig, ParentMessage } from './ipc-protocol.ts';

const ENGINE_ENTRY = fileURLToPath(new URL('./engine-process.ts', import.meta.url));
/**
 * tsx's loader, resolved from this package rather than from the working directory, so the engine starts
 * when `ponder` runs from any folder.
 */
const TSX_LOADER = import.meta.resolve('tsx');

export interface EngineSpawnOptions {
  env: NodeJS.ProcessEnv;
  config: EngineConfig;
  /** Model id → GGUF path, known to the engine from the start. */
  models: Record<string, string>;
  /** As soon as the child is forked, before it is ready: requests made meanwhile wait for the start. */
  onForked(child: ChildProcess): void;
  /** Every message after the handshake. */
  onMessage(m: ChildMessage): void;
  /** The child exited; `uptimeMs` is -1 when it never finished starting. */
  onExit(
    child: ChildProcess,
    code: number | null,
    signal: string | null,
    uptimeMs: number,
    stderrTail: string,
  ): void;
}

/** Forks the engine and resolves once it reports ready; a child that fails to start is killed. */
export async function spawnEngine(o: EngineSpawnOptions): Promise<ChildProcess> {
  const child = fork(ENGINE_ENTRY, [], {
    execArgv: ['--import', TSX_LOADER],
    // Must be set before Node starts in the child (design §4): one libuv thread for decodes.
    env: { ...o.env, UV_THREADPOOL_SIZE: '1' },
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderrTail = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderrTail = (stderrTail + d.toString('utf8')).slice(-2000);
  });
  const startedAt = Date.now();
  let started = false;
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'ready') resolve();
      else if (m.type === 'fatal') reject(new InferenceError('engine_error', m.message));
      else o.onMessage(m);
    });
    child.once('exit', (code, signal) => {
      reject(
        new InferenceError(
          'engine_error',
          `The embedded engine exited during startup (code ${code}, signal ${signal})`,
        ),
      );
      o.onExit(child, code, signal, started ? Date.now() - startedAt : -1, stderrTail);
    });
    child.once('error', reject);
  });
  o.onForked(child);
  child.send({ type: 'init', config: o.config, models: o.models } satisfies ParentMessage);
  try {
    await ready;
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  started = true;
  return child;
}
