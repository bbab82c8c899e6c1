/**
 * Incremental Server-Sent Events line reading for OpenAI-compatible streams. Bytes arrive in arbitrary TCP
 * pieces: a UTF-8 sequence, a line or a CRLF pair may be split anywhere.
 */

/** Default cap on one SSE line (one event: OpenAI-compatible servers send one `data:` line per event). */
export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;

/** A line grew past the cap before its end arrived (a hostile or broken upstream). */
export class SseLineTooLong extends Error {
  override readonly name = 'SseLineTooLong';
  constructor(readonly limit: number) {
    super(`an event was larger than ${limit} bytes`);
  }
}

/**
 * Splits a byte stream into lines on LF, CRLF or CR (the SSE rule). Linear in the input: each byte is
 * scanned once (CR and LF never occur inside a UTF-8 sequence, so splitting happens on bytes) and a line's
 * pieces are joined once, when it ends. The pending line is capped: past `maxLineBytes` it throws
 * {@link SseLineTooLong} at once instead of buffering a 16 MB line.
 */
export class SseLineSplitter {
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  /** Bytes of the line not yet ended, in arrival order. */
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  /** The last chunk ended in CR: a LF at the start of the next one belongs to the same line break. */
  private skipLeadingLf = false;
  private first = true;

  constructor(private readonly maxLineBytes = DEFAULT_MAX_EVENT_BYTES) {}

  push(bytes: Uint8Array): string[] {
    const lines: string[] = [];
    let start = 0;
    if (this.skipLeadingLf && bytes.length > 0) {
      if (bytes[0] === 10) start = 1;
      this.skipLeadingLf = false;
    }
    for (let i = start; i < bytes.length; i++) {
      const c = bytes[i];
      if (c !== 10 && c !== 13) continue;
      this.take(bytes.subarray(start, i));
      lines.push(this.line());
      if (c === 13) {
        if (i + 1 === bytes.length) this.skipLeadingLf = true;
        else if (bytes[i + 1] === 10) i++;
      }
      start = i + 1;
    }
    // Copied: the caller may reuse its buffer.
    if (start < bytes.length) this.take(bytes.slice(start));
    return lines;
  }

  /** Ends the stream; an unterminated last line is returned too. */
  end(): string[] {
    return this.pendingBytes > 0 ? [this.line()] : [];
  }

  private take(piece: Uint8Array): void {
    if (piece.length === 0) return;
    this.pendingBytes += piece.length;
    if (this.pendingBytes > this.maxLineBytes) {
      this.pending = [];
      throw new SseLineTooLong(this.maxLineBytes);
    }
    this.pending.push(piece);
  }

  private line(): string {
    const bytes = this.pending.length === 1 ? (this.pending[0] as Uint8Array) : Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    let text = this.decoder.decode(bytes);
    // A byte-order mark is dropped at the start of the stream only (the SSE rule).
    if (this.first && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    this.first = false;
    return text;
  }
}

export type SseLine =
  | { kind: 'blank' }
  | { kind: 'comment' }
  | { kind: 'field'; name: 'data' | 'event' | 'id' | 'retry' | 'error'; value: string }
  | { kind: 'malformed' };

const FIELDS = new Set(['data', 'event', 'id', 'retry', 'error']);

/**
 * Classifies one line. `error:` is not standard SSE, but llama-server writes `error: {json}` lines when a
 * request fails mid-stream. Anything else that is not a known field is malformed: OpenAI-compatible
 * servers send nothing else, so such a line means a broken proxy or the wrong endpoint.
 */
export function classifySseLine(line: string): SseLine {
  if (line === '') return { kind: 'blank' };
  if (line.startsWith(':')) return { kind: 'comment' };
  const colon = line.indexOf(':');
  const name = colon === -1 ? line : line.slice(0, colon);
  if (!FIELDS.has(name)) return { kind: 'malformed' };
  let value = colon === -1 ? '' : line.slice(colon + 1);
  if (value.startsWith(' ')) value = value.slice(1);
  return { kind: 'field', name: name as 'data' | 'event' | 'id' | 'retry' | 'error', value };
}
