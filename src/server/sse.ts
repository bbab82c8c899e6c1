/**
 * Server-sent events for generation streams (docs/web-api.md, "Generations — SSE").
 * Writes straight to the socket after `reply.hijack()` so that each event leaves at once, honouring
 * backpressure: a slow client pauses its reader (the generation itself runs on regardless).
 */
import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { GenerationEvent } from '../api/conversations.ts';

export interface SseOptions {
  /** Interval of `: ping` comments that keep proxies from closing an idle stream. Default 15 000 ms. */
  pingMs?: number;
}

/** Encodes one event: `id`, `event`, `data` (JSON on one line), blank line. */
export function encodeSseEvent(event: GenerationEvent): string {
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

export class SseStream {
  readonly #raw: ServerResponse;
  readonly #abort = new AbortController();
  readonly #ping: NodeJS.Timeout;

  constructor(reply: FastifyReply, options: SseOptions = {}) {
    // Headers other hooks already set on the reply (security headers, request id) still apply.
    const inherited: Record<string, string | string[] | number> = {};
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined && name.toLowerCase() !== 'content-length') inherited[name] = value;
    }
    reply.hijack();
    this.#raw = reply.raw;
    this.#raw.writeHead(200, {
      ...inherited,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    this.#raw.flushHeaders();
    const onClose = (): void => this.#abort.abort();
    this.#raw.on('close', onClose);
    this.#raw.on('error', onClose);
    this.#ping = setInterval(() => void this.#write(': ping\n\n'), options.pingMs ?? 15_000);
    this.#ping.unref();
  }

  /** Aborts when the client goes away. Reading from the event log stops; the generation does not. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  get closed(): boolean {
    return this.#abort.signal.aborted;
  }

  send(event: GenerationEvent): Promise<void> {
    return this.#write(encodeSseEvent(event));
  }

  /** Writes every event, then ends the response. Stops early (quietly) when the client leaves. */
  async pipe(events: Iterable<GenerationEvent> | AsyncIterable<GenerationEvent>): Promise<void> {
    try {
      for await (const event of events) {
        if (this.closed) break;
        await this.send(event);
      }
    } finally {
      this.end();
    }
  }

  /** Writes pre-encoded SSE text (the `/v1` API's `data:` lines and `: keep-alive` comments). */
  writeRaw(text: string): Promise<void> {
    return this.#write(text);
  }

  end(): void {
    clearInterval(this.#ping);
    if (!this.#raw.writableEnded) this.#raw.end();
    this.#abort.abort();
  }

  async #write(chunk: string): Promise<void> {
    if (this.closed || this.#raw.writableEnded) return;
    if (this.#raw.write(chunk)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.#raw.off('drain', done);
        this.#abort.signal.removeEventListener('abort', done);
        resolve();
      };
      this.#raw.once('drain', done);
      this.#abort.signal.addEventListener('abort', done, { once: true });
    });
  }
}
