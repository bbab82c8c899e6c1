/** Pure reducers from generation events to message state, so the streaming logic is testable alone. */
import type { GenerationEvent } from '../api/generation-stream.ts';
import type { Message } from '../api/types.ts';

export interface StreamTiming {
  /** When the first reasoning text arrived (client clock). */
  reasoningStartedAt?: number;
  /** When the first answer text arrived. */
  answerStartedAt?: number;
}

export function statusFor(finishReason: 'stop' | 'length' | 'cancelled' | 'error'): Message['status'] {
  switch (finishReason) {
    case 'stop':
    case 'length':
      return 'complete';
    case 'cancelled':
      return 'cancelled';
    case 'error':
      return 'error';
    default:
      finishReason satisfies never;
      return 'error';
  }
}

/**
 * Reasoning tokens used so far: the server's count where the model server reports it, else one per
 * reasoning event (each is about one token).
 */
export function reasoningTokensAfter(used: number, events: readonly GenerationEvent[]): number {
  let n = used;
  for (const ev of events) {
    if (ev.type !== 'reasoning') continue;
    n = ev.data.tokens ?? n + 1;
  }
  return n;
}

/** Applies a batch of content events to the streaming assistant message. */
export function applyEvents(
  msg: Message,
  events: readonly GenerationEvent[],
  timing: StreamTiming,
  now: number,
): Message {
  let { content, reasoning, status, usage, error, reasoningMs, finishReason, toolSteps } = msg;
  for (const ev of events) {
    switch (ev.type) {
      case 'reasoning':
        timing.reasoningStartedAt ??= now;
        reasoning += ev.data.text;
        break;
      case 'text':
        if (timing.answerStartedAt === undefined) {
          timing.answerStartedAt = now;
          if (timing.reasoningStartedAt !== undefined && reasoningMs === undefined) {
            reasoningMs = now - timing.reasoningStartedAt;
          }
        }
        content += ev.data.text;
        break;
      case 'usage':
        usage = ev.data;
        break;
      case 'done':
        status = statusFor(ev.data.finishReason);
        finishReason = ev.data.finishReason;
        error = ev.data.error;
        if (reasoningMs === undefined && timing.reasoningStartedAt !== undefined) {
          reasoningMs = now - timing.reasoningStartedAt;
        }
        break;
      case 'tool_call': {
        // A replayed call (reattach) keeps its place and any result it already has.
        const call = ev.data;
        const known = toolSteps?.some((s) => s.id === call.id);
        toolSteps = known
          ? (toolSteps ?? []).map((s) => (s.id === call.id ? { ...s, ...call } : s))
          : [...(toolSteps ?? []), { ...call }];
        break;
      }
      case 'tool_result': {
        const { id, ...result } = ev.data;
        toolSteps = (toolSteps ?? []).map((s) => (s.id === id ? { ...s, result } : s));
        break;
      }
      case 'tool_confirm':
        // Shown by the tool card while the call waits (see the confirmation state in use-chat).
        break;
      case 'meta':
      case 'queued':
        break;
      default:
        ev satisfies never;
    }
  }
  return {
    ...msg,
    content,
    reasoning,
    status,
    usage,
    error,
    reasoningMs,
    finishReason,
    ...(toolSteps ? { toolSteps } : {}),
  };
}
