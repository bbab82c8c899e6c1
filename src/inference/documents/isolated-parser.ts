/**
 * Parses uploads in a child process (forked like the engine, with tsx's loader) under a heap cap and a
 * time bound per file, so a hostile file (a PDF that makes pdf.js spin, a stream that inflates without
 * end, a parser bug) costs that child, never the server: on a timeout or a crash the child is killed,
 * the upload gets a clear `DocumentError`, and the next upload starts a fresh child. The child's output
 * is discarded (pdf.js warnings can quote content). Uploads are parsed one at a time, in order.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_PARSE_LIMITS,
  DocumentError,
  type DocumentErrorCode,
  type ParsedDocument,
  type ParseLimits,
} from './types.ts';

const ENTRY = fileURLToPath(new URL('./parse-process.ts', import.meta.url));
/** tsx's loader resolved from this package, so the child starts from any working directory. */
const TSX_LOADER = import.meta.resolve('tsx');

type Reply =
  | { id: number; ok: true; doc: ParsedDocument }
  | { id: number; ok: false; code: DocumentErrorCode; message: string };

export interface IsolatedParserOptions {
  /** V8 heap cap of the parser process. Default 512 MiB. */
  heapMb?: number;
}

export class IsolatedParser implements AsyncDisposable {
  #child: ChildProcess | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #next = 1;
  #disposed = false;

  constructor(private readonly options: IsolatedParserOptions = {}) {}

  /** Parses one upload; throws `DocumentError` (never anything else). */
  parse(
    name: string,
    bytes: Uint8Array,
    limits: ParseLimits = DEFAULT_PARSE_LIMITS,
    signal?: AbortSignal,
  ): Promise<ParsedDocument> {
    if (bytes.byteLength > limits.maxBytes) {
      return Promise.reject(
        new DocumentError(
          'too_large',
          `the file is larger than ${Math.round(limits.maxBytes / 1024 / 1024)} MiB`,
        ),
      );
    }
    const run = this.#queue.then(() => this.#run(name, bytes, limits, signal));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #spawn(): ChildProcess {
    const child = fork(ENTRY, [], {
      execArgv: ['--import', TSX_LOADER, `--max-old-space-size=${this.options.heapMb ?? 512}`],
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      serialization: 'advanced',
    });
    child.once('exit', () => {
      if (this.#child === child) this.#child = undefined;
    });
    this.#child = child;
    return child;
  }

  /** An idle child never keeps the server process alive (it exits itself when the IPC channel closes). */
  #hold(child: ChildProcess, busy: boolean): void {
    if (busy) {
      child.ref();
      child.channel?.ref();
    } else {
      child.unref();
      child.channel?.unref();
    }
  }

  #run(name: string, bytes: Uint8Array, limits: ParseLimits, signal?: AbortSignal): Promise<ParsedDocument> {
    if (this.#disposed)
      return Promise.reject(new DocumentError('parse_failed', 'the server is shutting down'));
    if (signal?.aborted) return Promise.reject(new DocumentError('parse_failed', 'the upload was cancelled'));
    const child = this.#child ?? this.#spawn();
    const id = this.#next++;
    return new Promise<ParsedDocument>((resolve, reject) => {
      let settled = false;
      const done = (kill: boolean, fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        child.off('message', onMessage);
        child.off('exit', onExit);
        this.#hold(child, false);
        if (kill) {
          child.kill('SIGKILL');
          if (this.#child === child) this.#child = undefined;
        }
        fn();
      };
      const fail = (kill: boolean, code: DocumentErrorCode, message: string) =>
        done(kill, () => reject(new DocumentError(code, message)));
      const onMessage = (m: Reply | { ready: true }) => {
        if (!('id' in m) || m.id !== id) return;
        done(false, () => (m.ok ? resolve(m.doc) : reject(new DocumentError(m.code, m.message))));
      };
      const onExit = () =>
        fail(false, 'parse_failed', 'reading the file needed too much memory or crashed the reader');
      const onAbort = () => fail(true, 'parse_failed', 'the upload was cancelled');
      const timer = setTimeout(
        () =>
          fail(
            true,
            'parse_failed',
            `reading the file took longer than ${Math.round(limits.timeoutMs / 1000)} s`,
          ),
        limits.timeoutMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#hold(child, true);
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send({ id, name, bytes, limits }, (err) => {
        if (err) fail(true, 'parse_failed', 'the file could not be handed to the reader');
      });
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#disposed = true;
    const child = this.#child;
    this.#child = undefined;
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      // An idle child is unref'd: hold the loop open until its exit is seen.
      this.#hold(child, true);
      child.kill('SIGKILL');
      await exited;
    }
  }
}
