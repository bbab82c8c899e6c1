import type { ChatChunk, UsageChunk } from '../inference/types.ts';

const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
}

/**
 * Renders a ChatChunk stream for a person (reasoning dimmed, then the answer) or, with `json`, as NDJSON.
 * Without a TTY, reasoning is framed by plain markers instead of colour.
 */
export class ChatPrinter {
  private section: 'none' | 'reasoning' | 'text' = 'none';
  private usage: UsageChunk | undefined;
  private readonly color: boolean;

  constructor(
    private readonly out: Output,
    private readonly options: { json: boolean; status?: Output },
  ) {
    this.color = out.isTTY === true;
  }

  print(chunk: ChatChunk): void {
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
        }
        this.out.write(chunk.text);
        break;
      case 'text':
        if (this.section === 'reasoning') this.out.write(this.color ? `${RESET}\n\n` : '\n[answer]\n');
        this.section = 'text';
        this.out.write(chunk.text);
        break;
      case 'usage':
        this.usage = chunk;
        break;
      case 'done': {
        if (this.section === 'reasoning' && this.color) this.out.write(RESET);
        this.out.write('\n');
        const u = this.usage;
        const tokens = u ? ` · ${u.completionTokens} tokens (${u.reasoningTokens} reasoning)` : '';
        const why = chunk.finishReason === 'error' ? '' : `[${chunk.finishReason}${tokens}]\n`;
        if (why) this.status(why);
        break;
      }
      default:
        chunk satisfies never;
    }
  }

  /** Restores the terminal colour if the stream ended abruptly. */
  end(): void {
    if (!this.options.json && this.section === 'reasoning' && this.color) this.out.write(RESET);
    this.section = 'none';
  }

  private status(text: string): void {
    (this.options.status ?? process.stderr).write(text);
  }
}
