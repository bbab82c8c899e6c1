/**
 * Incremental Server-Sent Events line reading for OpenAI-compatible streams. Bytes arrive in arbitrary TCP
 * pieces: a UTF-8 sequence, a line or a CRLF pair may be split anywhere.
 */

/** Splits a byte stream into lines on LF, CRLF or CR (the SSE rule), decoding UTF-8 across chunk edges. */
export class SseLineSplitter {
  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';
  /** The last chunk ended in CR: a LF at the start of the next one belongs to the same line break. */
  private skipLeadingLf = false;

  push(bytes: Uint8Array): string[] {
    return this.split(this.decoder.decode(bytes, { stream: true }));
  }

  /** Ends the stream; an unterminated last line is returned too. */
  end(): string[] {
    const lines = this.split(this.decoder.decode());
    if (this.buffer !== '') lines.push(this.buffer);
    this.buffer = '';
    return lines;
  }

  private split(text: string): string[] {
    let s = text;
    if (this.skipLeadingLf && s !== '') {
      if (s.charCodeAt(0) === 10) s = s.slice(1);
      this.skipLeadingLf = false;
    }
    s = this.buffer + s;
    const lines: string[] = [];
    let start = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      lines.push(s.slice(start, i));
      if (c === 13) {
        if (i + 1 === s.length) this.skipLeadingLf = true;
        else if (s.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
    this.buffer = s.slice(start);
    return lines;
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
