/**
 * The event log of each running (and recently finished) generation, which lets a client reattach with
 * `Last-Event-ID` after a reload or a dropped connection.
 *
 * Id scheme (what a client can rely on):
 * - Events of one generation are numbered 1, 2, 3…; `meta` is always id 1 and `done` always last.
 * - Reading after id N yields the events N+1… then live ones until `done`.
 * - `meta` means "start over": a client that receives `meta` discards the reasoning and text it holds for
 *   that generation. Every replay that cannot continue exactly where the client left off starts with
 *   `meta`: after id 0, after an id this log no longer holds (folded, see below), after an id it never
 *   gave out, and replays synthesised from the saved message once the log is gone (`replayFromMessage`).
 *   So text is never duplicated, whatever the client held.
 *
 * Memory bound: a log keeps at most `maxEvents` events / `maxBytes` of payload. Beyond that its oldest
 * `reasoning`/`text`/`queued` events are folded into one snapshot (the concatenated reasoning and text up
 * to id K). A reader behind K gets `meta`, then the snapshot as a `reasoning` event with id K-1 and a
 * `text` event with id K, then the live events K+1…; reconnecting after K-1 starts over again, after K
 * continues. Finished logs are kept `retainFinishedMs` (at most `maxFinished` of them), then dropped
 * (the saved message takes over).
 *
 * The interface is async and keyed by generation id so that a Redis Streams implementation can back it
 * when several Ponder instances share the work.
 */
import type {
  GenerationEvent,
  GenerationEventInput,
  MessageUsage,
  MetaEventData,
} from '../../api/conversations.ts';

export interface GenerationEventLog {
  /** Starts the log of a generation; its `meta` event gets id 1. */
  open(generationId: string, meta: MetaEventData): Promise<void>;
  /** Appends an event and returns its id. Appending after `done` or to an unknown log is ignored (returns 0). */
  append(generationId: string, event: GenerationEventInput): Promise<number>;
  /**
   * The events after `afterId`, then the live ones until `done` (or until `signal` aborts).
   * `null` when this log holds no such generation (never started here, or already dropped).
   */
  read(
    generationId: string,
    afterId: number,
    signal: AbortSignal,
  ): Promise<AsyncIterable<GenerationEvent> | null>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface MemoryEventLogOptions {
  /** Events kept per generation before the oldest deltas are folded into a snapshot. Default 4096. */
  maxEvents?: number;
  /** Payload characters kept per generation before folding. Default 1 MiB. */
  maxBytes?: number;
  /** How long a finished generation's log stays readable. Default 120 000 ms. */
  retainFinishedMs?: number;
  /** Finished logs kept at most; the oldest are dropped first. Default 1000. */
  maxFinished?: number;
}

interface Snapshot {
  throughId: number;
  reasoning: string;
  text: string;
}

interface LogEntry {
  meta: GenerationEvent & { type: 'meta' };
  /** Retained events after the snapshot, contiguous ids. */
  events: GenerationEvent[];
  nextId: number;
  snapshot: Snapshot | null;
  bytes: number;
  done: boolean;
  waiters: Set<() => void>;
  evictTimer?: NodeJS.Timeout;
}

const FOLDABLE = new Set(['reasoning', 'text', 'queued']);

function sizeOf(event: GenerationEventInput): number {
  return event.type === 'reasoning' || event.type === 'text' ? event.data.text.length + 32 : 64;
}

/** The single-process implementation. */
export class MemoryGenerationEventLog implements GenerationEventLog {
  readonly #logs = new Map<string, LogEntry>();
  readonly #maxEvents: number;
  readonly #maxBytes: number;
  readonly #retainMs: number;
  readonly #maxFinished: number;
  /** Finished generation ids, oldest first. */
  readonly #finished = new Set<string>();

  constructor(options: MemoryEventLogOptions = {}) {
    this.#maxEvents = Math.max(8, options.maxEvents ?? 4096);
    this.#maxBytes = Math.max(1024, options.maxBytes ?? 1 << 20);
    this.#retainMs = options.retainFinishedMs ?? 120_000;
    this.#maxFinished = Math.max(1, options.maxFinished ?? 1000);
  }

  async open(generationId: string, meta: MetaEventData): Promise<void> {
    this.#drop(generationId);
    this.#logs.set(generationId, {
      meta: { id: 1, type: 'meta', data: meta },
      events: [],
      nextId: 2,
      snapshot: null,
      bytes: 0,
      done: false,
      waiters: new Set(),
    });
  }

  async append(generationId: string, event: GenerationEventInput): Promise<number> {
    const entry = this.#logs.get(generationId);
    if (!entry || entry.done) return 0;
    const id = entry.nextId++;
    entry.events.push({ id, ...event } as GenerationEvent);
    entry.bytes += sizeOf(event);
    if (event.type === 'done') {
      entry.done = true;
      entry.evictTimer = setTimeout(() => this.#drop(generationId), this.#retainMs);
      entry.evictTimer.unref();
      this.#finished.add(generationId);
      for (const oldest of this.#finished) {
        if (this.#finished.size <= this.#maxFinished) break;
        this.#drop(oldest);
      }
    } else if (entry.events.length > this.#maxEvents || entry.bytes > this.#maxBytes) {
      this.#fold(entry);
    }
    for (const wake of entry.waiters) wake();
    entry.waiters.clear();
    return id;
  }

  async read(
    generationId: string,
    afterId: number,
    signal: AbortSignal,
  ): Promise<AsyncIterable<GenerationEvent> | null> {
    if (!this.#logs.has(generationId)) return null;
    return this.#follow(generationId, afterId, signal);
  }

  /** Generation ids currently held (running or recently finished). */
  ids(): string[] {
    return [...this.#logs.keys()];
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const id of [...this.#logs.keys()]) this.#drop(id);
  }

  async *#follow(
    generationId: string,
    afterId: number,
    signal: AbortSignal,
  ): AsyncGenerator<GenerationEvent> {
    let cursor = afterId;
    for (;;) {
      if (signal.aborted) return;
      const entry = this.#logs.get(generationId);
      if (!entry) return;
      const lastId = entry.nextId - 1;
      // An id never given out (or 0) cannot be continued from: start over.
      if (cursor > lastId || cursor < 1) cursor = 0;
      const snapshot = entry.snapshot;
      if (cursor === 0 || (snapshot && cursor < snapshot.throughId)) {
        yield entry.meta;
        cursor = 1;
        if (snapshot) {
          yield { id: snapshot.throughId - 1, type: 'reasoning', data: { text: snapshot.reasoning } };
          yield { id: snapshot.throughId, type: 'text', data: { text: snapshot.text } };
          cursor = snapshot.throughId;
        }
        continue;
      }
      const first = entry.events[0]?.id ?? entry.nextId;
      const pending = entry.events.slice(Math.max(0, cursor + 1 - first));
      if (pending.length > 0) {
        for (const event of pending) {
          // The log may fold while a slow reader is suspended here; it then starts over on the next loop.
          if (entry.snapshot !== snapshot) break;
          yield event;
          cursor = event.id;
          if (event.type === 'done') return;
        }
        continue;
      }
      if (entry.done) return;
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          signal.removeEventListener('abort', wake);
          entry.waiters.delete(wake);
          resolve();
        };
        entry.waiters.add(wake);
        signal.addEventListener('abort', wake, { once: true });
      });
    }
  }

  /** Folds the oldest foldable events into the snapshot until the log is back under half its limits. */
  #fold(entry: LogEntry): void {
    const snapshot = { ...(entry.snapshot ?? { throughId: 1, reasoning: '', text: '' }) };
    let folded = 0;
    while (entry.events.length > 1) {
      const head = entry.events[0]!;
      if (!FOLDABLE.has(head.type)) break;
      const underLimits = entry.events.length <= this.#maxEvents / 2 && entry.bytes <= this.#maxBytes / 2;
      // At least two events, so the snapshot ids K-1 and K stay above meta's id 1.
      if (underLimits && folded >= 2) break;
      entry.events.shift();
      folded++;
      if (head.type === 'reasoning') snapshot.reasoning += head.data.text;
      else if (head.type === 'text') snapshot.text += head.data.text;
      entry.bytes -= head.type === 'reasoning' || head.type === 'text' ? head.data.text.length + 32 : 64;
      snapshot.throughId = head.id;
    }
    if (folded > 0) entry.snapshot = snapshot;
  }

  #drop(generationId: string): void {
    const entry = this.#logs.get(generationId);
    if (!entry) return;
    clearTimeout(entry.evictTimer);
    this.#logs.delete(generationId);
    this.#finished.delete(generationId);
    for (const wake of entry.waiters) wake();
    entry.waiters.clear();
  }
}

/** What a replay of a finished generation needs from its saved assistant message. */
export interface SavedGeneration {
  meta: MetaEventData;
  reasoning: string;
  text: string;
  usage?: MessageUsage;
  finishReason: 'stop' | 'length' | 'cancelled' | 'error';
  error?: string;
}

/**
 * The events of a generation whose log is gone (finished long ago, or before a restart), synthesised from
 * the saved message: `meta` (the client starts over), one `reasoning`, one `text`, `usage` when known, `done`.
 * `Last-Event-ID` is ignored for these: the ids cannot match the original ones.
 */
export function replayFromMessage(saved: SavedGeneration): GenerationEvent[] {
  const events: GenerationEvent[] = [
    { id: 1, type: 'meta', data: saved.meta },
    { id: 2, type: 'reasoning', data: { text: saved.reasoning } },
    { id: 3, type: 'text', data: { text: saved.text } },
  ];
  if (saved.usage) events.push({ id: 4, type: 'usage', data: saved.usage });
  const done = saved.error
    ? { finishReason: saved.finishReason, error: saved.error }
    : { finishReason: saved.finishReason };
  events.push({ id: events.length + 1, type: 'done', data: done });
  return events;
}
