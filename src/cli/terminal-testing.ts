/**
 * Test helper: runs `ponder …` on a real pseudo-terminal, through util-linux `script` (part of every
 * Debian system), so stdin/stdout are a TTY: readline reads keys in raw mode, Ctrl-C typed while the
 * terminal is cooked becomes SIGINT, and `process.stdout.isTTY` is true — as for a person at a terminal.
 */
import { execFileSync, spawn } from 'node:child_process';
import { resolve } from 'node:path';

const BIN = resolve(import.meta.dirname, '../../bin/ponder.js');

export interface TerminalRun {
  /** Everything the terminal showed so far (stdout and stderr together, in order). */
  output(): string;
  /** Types `text` (`\r` is Enter, `\x03` Ctrl-C, `\x04` Ctrl-D). */
  type(text: string): void;
  /**
   * Resolves with the output once `pattern` matches the output after `from` (a length of `output()`),
   * escape sequences left out (see `plainText`);
   * rejects with the whole output when the process exits first or at the deadline, so a test never hangs.
   */
  waitFor(pattern: RegExp, from?: number): Promise<string>;
  exited: Promise<number | null>;
  kill(): void;
}

/** Whether `script` is there to give a pseudo-terminal. */
export function terminalAvailable(): boolean {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** `ponder …args` on a pseudo-terminal, with PONDER_* variables cleared and `env` added. */
export function runInTerminal(
  args: string[],
  env: Record<string, string> = {},
  deadlineMs = 90_000,
): TerminalRun {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PONDER_')));
  // `script` runs the command through $SHELL -c; `exec` makes ponder the terminal's foreground
  // process itself. Without it a shell that does not exec a lone command (dash, CI's /bin/sh)
  // stays in between and dies of the Ctrl-C SIGINT meant for ponder, so `script` reports 130.
  const command = `exec ${[process.execPath, BIN, ...args].map(shellQuote).join(' ')}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    env: { ...clean, TERM: 'xterm', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let text = '';
  const watchers = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    for (const check of watchers) check();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let done = false;
  const deadline = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
  const exited = new Promise<number | null>((ok) =>
    child.on('close', (code) => {
      done = true;
      clearTimeout(deadline);
      for (const check of watchers) check();
      ok(code);
    }),
  );
  return {
    output: () => text,
    type: (input) => void child.stdin.write(input),
    exited,
    kill: () => void child.kill('SIGKILL'),
    waitFor(pattern, from = 0) {
      return new Promise((ok, fail) => {
        const check = () => {
          if (pattern.test(plainText(text.slice(from)))) {
            watchers.delete(check);
            ok(text);
          } else if (done) {
            watchers.delete(check);
            fail(new Error(`exited before ${pattern} appeared; the terminal showed:\n${text}`));
          }
        };
        watchers.add(check);
        check();
      });
    },
  };
}

/** The text without colour and cursor escape sequences. */
export function plainText(text: string): string {
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
}
