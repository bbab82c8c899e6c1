/**
 * A `text/event-stream` parser for streams read through `fetch` (EventSource cannot POST).
 * Follows the WHATWG event-stream rules: CRLF/LF/CR line ends, `:` comments, multi-line `data`,
 * a missing `event` means `message`, and the last seen `id` survives across events.
 */

export interface SseEvent {
  /** The `id:` in force when the event was dispatched (the last event id), or '' when none was seen. */
  id: string;
  event: string;
  data: string;
}

export class SseParser {
  #buffer = '';
  #data: string[] = [];
  #event = '';
  #lastId = '';
  #sawCr = false;

  /** The id of the last event seen, for `Last-Event-ID` on reconnect. */
  get lastEventId(): string {
    return this.#lastId;
  }

  /** Feeds decoded text; returns the events it completed. */
  feed(chunk: string): SseEvent[] {
    let text = chunk;
    // A CRLF may be split across chunks: a chunk ending in CR already ended the line.
    if (this.#sawCr && text.startsWith('\n')) text = text.slice(1);
    this.#sawCr = text.endsWith('\r');
    this.#buffer += text;
    const out: SseEvent[] = [];
    const lines = this.#buffer.split(/\r\n|\r|\n/);
    this.#buffer = lines.pop() ?? '';
    for (const line of lines) this.#line(line, out);
    return out;
  }

  /** Ends the stream: an event without its closing blank line is dropped, as the spec says. */
  end(): SseEvent[] {
    this.#buffer = '';
    this.#data = [];
    this.#event = '';
    return [];
  }

  #line(line: string, out: SseEvent[]): void {
    if (line === '') {
      if (this.#data.length > 0) {
        out.push({ id: this.#lastId, event: this.#event || 'message', data: this.#data.join('\n') });
      }
      this.#data = [];
      this.#event = '';
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.#data.push(value);
        break;
      case 'event':
        this.#event = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.#lastId = value;
        break;
      default:
        break;
    }
  }
}

/** Reads an SSE response body to the end, yielding events as they arrive. Aborting the signal ends it. */
export async function* readSse(res: Response, parser = new SseParser()): AsyncGenerator<SseEvent> {
  if (!res.body) return;
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      yield* parser.feed(value);
    }
    yield* parser.end();
  } finally {
    reader.releaseLock();
    await res.body.cancel().catch(() => undefined);
  }
}
