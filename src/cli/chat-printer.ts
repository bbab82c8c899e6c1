import type { ChatChunk, UsageChunk } from '../inference/types.ts';

const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** "Thought for N s", rounded as the web app does (never 0 s). */
export function thoughtFor(ms: number): string {
  return `Thought for ${Math.max(1, Math.round(ms / 1000))} s`;
}

/**
 * Renders a ChatChunk stream for a person (reasoning dimmed, a "Thought for N s" line, then the answer)
 * or, with `json`, as NDJSON. Without a TTY, reasoning is framed by plain markers instead of colour.
 */
export class ChatPrinter {
  private section: 'none' | 'reasoning' | 'text' = 'none';
  private usage: UsageChunk | undefined;
  private readonly color: boolean;
  private readonly now: () => number;
  private reasoningSince = 0;
  /** Set by `stop()`: the user asked to stop, so no more model output is printed. */
  private stopped = false;

  constructor(
    private readonly out: Output,
    private readonly options: { json: boolean; status?: Output; now?: () => number },
  ) {
    this.color = out.isTTY === true;
    this.now = options.now ?? (() => performance.now());
  }

  print(chunk: ChatChunk): void {
    if (this.stopped && (chunk.type === 'reasoning' || chunk.type === 'text')) return;
    if (this.options.json) {
      this.out.write(`${JSON.stringify(chunk)}\n`);
      return;
    }
    switch (chunk.type) {
      case 'queued':
        this.status(`waiting for a free slot (#${chunk.position} in line)\n`);
        break;
      case 'reasoning':
        if (this.section !== 'reasoning') {
          this.out.write(this.color ? DIM : '[reasoning]\n');
          this.section = 'reasoning';
          this.reasoningSince = this.now();
        }
        this.out.write(chunk.text);
        break;
      case 'text':
        if (this.section === 'reasoning') {
          this.closeReasoning();
          this.out.write(this.color ? '\n' : '[answer]\n');
        }
        this.section = 'text';
        this.out.write(chunk.text);
        break;
      case 'usage':
        this.usage = chunk;
        break;
      case 'tool_call':
        // The terminal chat offers no tools, so models are not asked to call any.
        break;
      case 'done': {
        if (this.section === 'reasoning') this.closeReasoning();
        // After a stop, the notice already ended the line.
        else if (!this.stopped) this.out.write('\n');
        this.section = 'none';
        const u = this.usage;
        const tokens = u ? ` · ${u.completionTokens} tokens (${u.reasoningTokens} reasoning)` : '';
        const why = chunk.finishReason === 'error' ? '' : `[${chunk.finishReason}${tokens}]\n`;
        if (why) this.status(why);
        break;
      }
      case 'tool_result':
        // The terminal chat offers no tools of Ponder's, so no turn of it runs one.
        break;
      default:
        chunk satisfies never;
    }
  }

  /**
   * The user stopped the answer: end the current line and colour now, and drop reasoning or text that
   * was already on its way, so nothing prints after the "stopping" notice (the `done` still does).
   */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (!this.options.json && this.section === 'reasoning' && this.color) this.out.write(RESET);
  }

  /** Restores the terminal colour if the stream ended abruptly. */
  end(): void {
    if (!this.options.json && this.section === 'reasoning' && this.color && !this.stopped) {
      this.out.write(RESET);
    }
    this.section = 'none';
  }

  /** Ends the reasoning section with the time it took, as the web app folds it. */
  private closeReasoning(): void {
    const line = thoughtFor(this.now() - this.reasoningSince);
    if (this.stopped) this.out.write(this.color ? `${line}\n` : `[${line}]\n`);
    else this.out.write(this.color ? `${RESET}\n\n${line}\n` : `\n[${line}]\n`);
  }

  private status(text: string): void {
    (this.options.status ?? process.stderr).write(text);
  }
}
