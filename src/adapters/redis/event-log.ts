/**
 * A `GenerationEventLog` shared by several Ponder instances through Redis Streams, so a client can
 * reattach to a running generation through any instance behind the load balancer.
 *
 * - The instance that runs a generation keeps its log in memory (`MemoryGenerationEventLog`: folding,
 *   retention) and serves its own readers from there, without touching Redis; every event is also
 *   `XADD`ed to the stream `<prefix>gen:<generationId>` under the explicit stream id `0-<n>`, so the
 *   event ids are the same everywhere.
 * - Any other instance reads the stream: `XRANGE`/`XREAD BLOCK` after `0-<Last-Event-ID>`, on a
 *   connection of its own per reader (a blocking read holds its connection).
 * - The stream expires `runningTtlMs` after its last event while running (a crashed runner's stream
 *   lapses) and `retainFinishedMs` after `done`; then the saved message takes over (`replayFromMessage`).
 *   Redis keeps every event of a generation (no folding there); the count is bounded by the turn's
 *   token cap.
 * - A Redis failure never fails the generation: the event is kept locally and `onError` is told.
 */
import type { Redis } from 'ioredis';
import type { GenerationEvent, GenerationEventInput, MetaEventData } from '../../api/conversations.ts';
import {
  type GenerationEventLog,
  type MemoryEventLogOptions,
  MemoryGenerationEventLog,
} from '../../core/chat/event-log.ts';

export interface RedisEventLogOptions extends MemoryEventLogOptions {
  /** A connection for writes and range reads; the caller owns it (it is not closed here). */
  redis: Redis;
  /** Prefix of every key. Default `ponder:`. */
  keyPrefix?: string;
  /** A running generation's stream lives this long after its last event. Default 600 000 ms. */
  runningTtlMs?: number;
  /** How long one blocking read waits before checking that the stream still exists. Default 5000 ms. */
  blockMs?: number;
  /** Told about Redis failures (the log keeps working locally). */
  onError?: (err: unknown, op: 'write' | 'read') => void;
}

const READ_BATCH = 512;

export class RedisGenerationEventLog implements GenerationEventLog {
  readonly #redis: Redis;
  readonly #local: MemoryGenerationEventLog;
  readonly #prefix: string;
  readonly #runningTtlMs: number;
  readonly #retainMs: number;
  readonly #blockMs: number;
  readonly #onError: ((err: unknown, op: 'write' | 'read') => void) | undefined;
  /** Generations this instance runs (writes go to Redis too). */
  readonly #owned = new Set<string>();
  /** Blocking connections of remote readers, closed on dispose. */
  readonly #readers = new Set<Redis>();

  constructor(options: RedisEventLogOptions) {
    this.#redis = options.redis;
    this.#local = new MemoryGenerationEventLog(options);
    this.#prefix = options.keyPrefix ?? 'ponder:';
    this.#runningTtlMs = options.runningTtlMs ?? 600_000;
    this.#retainMs = options.retainFinishedMs ?? 120_000;
    this.#blockMs = options.blockMs ?? 5000;
    this.#onError = options.onError;
  }

  #key(generationId: string): string {
    return `${this.#prefix}gen:${generationId}`;
  }

  async open(generationId: string, meta: MetaEventData): Promise<void> {
    await this.#local.open(generationId, meta);
    this.#owned.add(generationId);
    const key = this.#key(generationId);
    try {
      await this.#redis
        .multi()
        .del(key)
        .xadd(key, '0-1', 'e', JSON.stringify({ type: 'meta', data: meta }))
        .pexpire(key, this.#runningTtlMs)
        .exec();
    } catch (err) {
      this.#onError?.(err, 'write');
    }
  }

  async append(generationId: string, event: GenerationEventInput): Promise<number> {
    const id = await this.#local.append(generationId, event);
    if (id === 0 || !this.#owned.has(generationId)) return id;
    const done = event.type === 'done';
    if (done) this.#owned.delete(generationId);
    const key = this.#key(generationId);
    try {
      // One connection keeps command order, so the explicit ids arrive increasing.
      await this.#redis
        .multi()
        .xadd(key, `0-${id}`, 'e', JSON.stringify(event))
        .pexpire(key, done ? this.#retainMs : this.#runningTtlMs)
        .exec();
    } catch (err) {
      this.#onError?.(err, 'write');
    }
    return id;
  }

  async read(
    generationId: string,
    afterId: number,
    signal: AbortSignal,
  ): Promise<AsyncIterable<GenerationEvent> | null> {
    const local = await this.#local.read(generationId, afterId, signal);
    if (local) return local;
    let last: Array<[string, string[]]>;
    try {
      last = (await this.#redis.xrevrange(this.#key(generationId), '+', '-', 'COUNT', 1)) as Array<
        [string, string[]]
      >;
    } catch (err) {
      this.#onError?.(err, 'read');
      return null;
    }
    const lastId = last[0] ? streamSeq(last[0][0]) : 0;
    if (lastId === 0) return null;
    // A client that already has `done` gets nothing more (as from the memory log), not a read that
    // blocks until the stream expires.
    if (afterId === lastId && last[0] && parseEvent(lastId, last[0][1])?.type === 'done')
      return emptyEvents();
    // An id never given out (or 0) cannot be continued from: start over with `meta`.
    const cursor = afterId < 1 || afterId > lastId ? 0 : afterId;
    return this.#follow(generationId, cursor, signal);
  }

  async *#follow(
    generationId: string,
    afterId: number,
    signal: AbortSignal,
  ): AsyncGenerator<GenerationEvent> {
    const key = this.#key(generationId);
    const conn = this.#redis.duplicate({ lazyConnect: true, maxRetriesPerRequest: 1 });
    this.#readers.add(conn);
    const onAbort = (): void => conn.disconnect();
    signal.addEventListener('abort', onAbort, { once: true });
    let cursor = afterId;
    try {
      await conn.connect();
      while (!signal.aborted) {
        const result = (await conn.xread(
          'COUNT',
          READ_BATCH,
          'BLOCK',
          this.#blockMs,
          'STREAMS',
          key,
          `0-${cursor}`,
        )) as Array<[string, Array<[string, string[]]>]> | null;
        const entries = result?.[0]?.[1] ?? [];
        if (entries.length === 0) {
          // Nothing new: the runner may have crashed and its stream lapsed.
          if (signal.aborted || (await conn.exists(key)) === 0) return;
          continue;
        }
        for (const [streamId, fields] of entries) {
          const seq = streamSeq(streamId);
          const event = parseEvent(seq, fields);
          cursor = seq;
          if (!event) continue;
          yield event;
          if (event.type === 'done') return;
        }
      }
    } catch (err) {
      if (!signal.aborted) this.#onError?.(err, 'read');
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.#readers.delete(conn);
      conn.disconnect();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#local[Symbol.asyncDispose]();
    this.#owned.clear();
    for (const conn of this.#readers) conn.disconnect();
    this.#readers.clear();
  }
}

async function* emptyEvents(): AsyncGenerator<GenerationEvent> {}

function streamSeq(streamId: string): number {
  const seq = Number(streamId.split('-')[1]);
  return Number.isSafeInteger(seq) ? seq : 0;
}

function parseEvent(id: number, fields: string[]): GenerationEvent | null {
  const at = fields.indexOf('e');
  const raw = at >= 0 ? fields[at + 1] : undefined;
  if (raw === undefined) return null;
  try {
    const parsed = JSON.parse(raw) as GenerationEventInput | { type: 'meta'; data: MetaEventData };
    return { id, ...parsed } as GenerationEvent;
  } catch {
    return null;
  }
}
