/**
 * `stop_sequences` applied to the answer text as it streams, so the message can say which one matched
 * (`stop_reason: 'stop_sequence'`, `stop_sequence`) whatever the provider. Text that could be the start
 * of a stop sequence is held back until it is known not to be one; the matched sequence is never sent.
 */
export class StopSequenceScanner {
  readonly #sequences: readonly string[];
  #held = '';
  #matched: string | null = null;

  constructor(sequences: readonly string[]) {
    this.#sequences = sequences;
  }

  get matched(): string | null {
    return this.#matched;
  }

  /** Returns the text that may be sent now; after a match, nothing more. */
  push(text: string): string {
    if (this.#matched !== null) return '';
    if (this.#sequences.length === 0) return text;
    const buffer = this.#held + text;
    let at = -1;
    for (const s of this.#sequences) {
      const i = buffer.indexOf(s);
      if (i !== -1 && (at === -1 || i < at)) {
        at = i;
        this.#matched = s;
      } else if (i !== -1 && i === at && this.#matched !== null && s.length > this.#matched.length) {
        this.#matched = s;
      }
    }
    if (at !== -1) {
      this.#held = '';
      return buffer.slice(0, at);
    }
    const keep = this.#partialTail(buffer);
    this.#held = buffer.slice(buffer.length - keep);
    return buffer.slice(0, buffer.length - keep);
  }

  /** The held-back text, once the answer ended without a match. */
  flush(): string {
    const out = this.#matched === null ? this.#held : '';
    this.#held = '';
    return out;
  }

  /** Length of the longest end of `buffer` that begins some stop sequence. */
  #partialTail(buffer: string): number {
    let best = 0;
    for (const s of this.#sequences) {
      for (let n = Math.min(s.length - 1, buffer.length); n > best; n--) {
        if (buffer.endsWith(s.slice(0, n))) {
          best = n;
          break;
        }
      }
    }
    return best;
  }
}
