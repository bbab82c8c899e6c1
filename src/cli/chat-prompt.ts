/**
 * The `>` prompt of the interactive `ponder chat`, with Ctrl-C and Ctrl-D as the Node and Python REPLs
 * handle them: Ctrl-C on a typed line drops the line; on an empty line it prints how to exit, and a
 * second Ctrl-C in a row exits; Ctrl-D (or the end of piped input) exits.
 */
import { createInterface, type Interface } from 'node:readline';

export const EXIT_HINT = '(To exit, press Ctrl-C again or Ctrl-D)';

export class ChatPrompt {
  readonly #rl: Interface;
  readonly #input: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  readonly #output: NodeJS.WritableStream;
  /** Lines typed before they were asked for (e.g. piped input, or typed while an answer ran). */
  readonly #lines: string[] = [];
  #waiting: ((line: string | null) => void) | undefined;
  #closed = false;
  /** The previous key was Ctrl-C on an empty line: another one exits. */
  #sawInterrupt = false;

  constructor(
    input: NodeJS.ReadStream | NodeJS.ReadableStream = process.stdin,
    output: NodeJS.WritableStream = process.stdout,
  ) {
    this.#input = input;
    this.#output = output;
    const terminal = (input as { isTTY?: boolean }).isTTY === true;
    this.#rl = createInterface({ input, output, terminal, prompt: '> ' });
    this.#rl.on('line', (line) => {
      this.#sawInterrupt = false;
      this.#deliver(line);
    });
    this.#rl.on('close', () => {
      this.#closed = true;
      this.#deliver(null);
    });
    // Only in terminal mode: readline reads Ctrl-C as a key and reports it here instead of a signal.
    this.#rl.on('SIGINT', () => this.#onInterrupt());
  }

  /** The next line typed, or null when the chat should end. */
  next(): Promise<string | null> {
    const queued = this.#lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.#closed) return Promise.resolve(null);
    this.#rl.resume();
    this.#output.write('\n');
    this.#rl.prompt();
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  /**
   * While an answer is generated: the terminal leaves raw mode so Ctrl-C arrives as SIGINT (for the
   * InterruptController) instead of as a key readline would take; `resume()` undoes it.
   */
  suspend(): void {
    this.#rl.pause();
    this.#setRawMode(false);
  }

  resume(): void {
    this.#setRawMode(true);
  }

  close(): void {
    this.#rl.close();
  }

  #deliver(line: string | null): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (waiting) waiting(line);
    else if (line !== null) this.#lines.push(line);
  }

  #onInterrupt(): void {
    if (this.#rl.line !== '') {
      // Keep what was typed visible on its own row, then offer a fresh, empty prompt below it.
      this.#rl.write(null, { ctrl: true, name: 'e' });
      this.#output.write('\n');
      this.#rl.write(null, { ctrl: true, name: 'u' });
      this.#sawInterrupt = false;
      return;
    }
    if (this.#sawInterrupt) {
      this.#output.write('\n');
      this.#rl.close();
      return;
    }
    this.#sawInterrupt = true;
    this.#output.write(`\n${EXIT_HINT}\n`);
    this.#rl.prompt();
  }

  #setRawMode(raw: boolean): void {
    if (this.#input.isTTY === true) this.#input.setRawMode?.(raw);
  }
}
