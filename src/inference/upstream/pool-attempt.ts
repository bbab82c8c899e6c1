/**
 * One try of a pooled request on one member: its stream passed through, held back until the first token
 * so that a failure before it can be retried on another member (the pool's failover), and the outcome
 * recorded on the member's circuit. The member's slot is released whatever happens.
 */
import type { ChatChunk, ChatOptions, ChatRequest } from '../types.ts';
import { InferenceError, MODEL_SERVER_UNAVAILABLE } from '../types.ts';
import type { PoolMember } from './pool-member.ts';
import type { UpstreamLogger } from './provider.ts';

export interface AttemptContext {
  /** The pool's provider id, for the logs. */
  poolId: string;
  log: UpstreamLogger | undefined;
  /** Gives the member's slot back to the pool (and lets waiters in). */
  release(member: PoolMember): void;
}

/** Streams one member's answer; returns `retry` (the error) when it failed before producing output. */
export async function* attemptOn(
  member: PoolMember,
  req: ChatRequest,
  opts: ChatOptions,
  state: { yielded: boolean },
  pool: AttemptContext,
): AsyncGenerator<ChatChunk, { retry?: string }> {
  const { poolId: id, log, release } = pool;
  let produced = false;
  let held: ChatChunk[] = [];
  let outcome: 'success' | 'failure' | 'neutral' = 'neutral';
  let failure: string | undefined;
  try {
    for await (const chunk of member.provider.chat(req, opts)) {
      if (chunk.type === 'done') {
        if (chunk.finishReason === 'error') {
          outcome = 'failure';
          // Members put the full story in `detail` (admin status); users only ever see `error`.
          failure = chunk.detail ?? chunk.error;
          if (!produced && !opts.signal.aborted) return { retry: failure ?? 'upstream failed' };
        } else if (chunk.finishReason !== 'cancelled') {
          outcome = 'success';
        }
        state.yielded = true;
        yield* held;
        yield chunk;
        return {};
      }
      if (chunk.type === 'reasoning' || chunk.type === 'text' || chunk.type === 'tool_call') {
        if (!produced) {
          produced = true;
          state.yielded = true;
          yield* held;
          held = [];
        }
        yield chunk;
      } else if (produced) {
        yield chunk;
      } else {
        held.push(chunk); // usage before any output: dropped if we retry elsewhere
      }
    }
    outcome = 'failure';
    failure = `upstream "${member.id}" stream ended without a done chunk`;
    yield { type: 'done', finishReason: 'error', error: MODEL_SERVER_UNAVAILABLE, detail: failure };
    return {};
  } catch (err) {
    if (!(err instanceof InferenceError)) throw err;
    // A client error the upstream reported: the member is fine, the request is not.
    outcome = 'neutral';
    if (!state.yielded) throw err;
    yield {
      type: 'done',
      finishReason: 'error',
      error: err.message,
      ...(err.detail ? { detail: err.detail } : {}),
    };
    return {};
  } finally {
    switch (outcome) {
      case 'success':
        member.recordSuccess();
        break;
      case 'failure':
        if (member.recordFailure(failure)) {
          log?.warn({ upstream: member.id, pool: id }, 'upstream circuit opened');
        }
        break;
      case 'neutral':
        member.recordNeutral();
        break;
      default:
        outcome satisfies never;
    }
    release(member);
  }
}
