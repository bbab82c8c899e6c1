/**
 * The requests the provider has in flight on an engine child, and how they end when that child exits:
 * streams get a final `done`, calls are rejected. A shutdown interrupts them; a crash fails them.
 */
import type { ChildProcess } from 'node:child_process';
import { type ChatChunk, InferenceError } from '../types.ts';
import type { AsyncQueue } from './async-queue.ts';
import type { WireError } from './ipc-protocol.ts';

/** How answers the engine could not finish because the server shuts down end (`done: cancelled`). */
export const SHUTDOWN_INTERRUPTED = 'interrupted: the server is shutting down';

export type StreamItem = { kind: 'chunk'; chunk: ChatChunk } | { kind: 'error'; error: WireError };

export interface Stream {
  queue: AsyncQueue<StreamItem>;
  child: ChildProcess;
}

export interface Call {
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
  child: ChildProcess;
}

/** Ends (and forgets) every stream and call of `child`, which exited; returns how many streams it cut. */
export function endInFlight(o: {
  child: ChildProcess;
  streams: Map<number, Stream>;
  calls: Map<number, Call>;
  /** The exit was asked for (shutdown) rather than a crash. */
  stopping: boolean;
  code: number | null;
  signal: string | null;
}): number {
  const reason = o.signal ? `killed by ${o.signal}` : `exit code ${o.code}`;
  const message = o.stopping
    ? 'The inference engine was shut down'
    : `The inference engine stopped (${reason}) and is restarting; retry the request`;
  // Answers cut by shutdown are interrupted, not failed: the chat service stores them as such.
  const done: ChatChunk = o.stopping
    ? { type: 'done', finishReason: 'cancelled', error: SHUTDOWN_INTERRUPTED }
    : { type: 'done', finishReason: 'error', error: message };
  let inFlight = 0;
  for (const [id, s] of o.streams) {
    if (s.child !== o.child) continue;
    inFlight++;
    s.queue.push({ kind: 'chunk', chunk: done });
    o.streams.delete(id);
  }
  for (const [id, c] of o.calls) {
    if (c.child !== o.child) continue;
    c.reject(new InferenceError('engine_error', message));
    o.calls.delete(id);
  }
  return inFlight;
}
