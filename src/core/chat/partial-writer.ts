/**
 * Coalesced persistence of a streaming assistant message: at most one write in flight, at most one per
 * `intervalMs`, only when something changed. A write that finds the row gone (conversation or account
 * deleted meanwhile) reports it once through `onGone` and no further write is attempted.
 */
import type { UpdateMessageInput } from '../../store/types.ts';

export interface PartialWriterOptions {
  /** Writes the patch; resolves `false` when the row no longer exists. */
  write: (patch: UpdateMessageInput) => Promise<boolean>;
  /** Current content of the message. */
  snapshot: () => Pick<UpdateMessageInput, 'content' | 'reasoning' | 'toolSteps'>;
  onGone: () => void;
  onError: (err: unknown) => void;
  /** Interval between partial writes. Default 500 ms (the contract asks for at least one a second). */
  intervalMs?: number;
}

export class PartialWriter {
  readonly #options: PartialWriterOptions;
  readonly #timer: NodeJS.Timeout;
  #dirty = false;
  #inFlight: Promise<void> | null = null;
  #gone = false;
  #closed = false;

  constructor(options: PartialWriterOptions) {
    this.#options = options;
    this.#timer = setInterval(() => void this.#flush(), options.intervalMs ?? 500);
    this.#timer.unref();
  }

  get gone(): boolean {
    return this.#gone;
  }

  markDirty(): void {
    this.#dirty = true;
  }

  /** Stops periodic writes, waits for the one in flight, then writes `final` (with the latest content). */
  async close(final: UpdateMessageInput): Promise<boolean> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#inFlight;
    if (this.#gone) return false;
    return this.#run({ ...this.#options.snapshot(), ...final });
  }

  async #flush(): Promise<void> {
    if (!this.#dirty || this.#inFlight || this.#gone || this.#closed) return;
    this.#dirty = false;
    this.#inFlight = this.#run(this.#options.snapshot()).then(() => {
      this.#inFlight = null;
    });
    await this.#inFlight;
  }

  async #run(patch: UpdateMessageInput): Promise<boolean> {
    try {
      const ok = await this.#options.write(patch);
      if (!ok && !this.#gone) {
        this.#gone = true;
        this.#options.onGone();
      }
      return ok;
    } catch (err) {
      if (isNotFound(err)) {
        if (!this.#gone) {
          this.#gone = true;
          this.#options.onGone();
        }
        return false;
      }
      this.#options.onError(err);
      return false;
    }
  }
}

function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'not_found';
}
