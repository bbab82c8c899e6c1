/** Pure reducers from generation events to message state, so the streaming logic is testable alone. */
import type { GenerationEvent } from '../api/generation-stream.ts';
import type { GenerationEventDataMap, Message, ToolConfirm } from '../api/types.ts';

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

/**
 * When the server stops waiting for a decision, on the client's clock. A live event arrives about when it
 * was sent, so `wallNow + timeoutMs`; a replayed one (reattach) may be older: the call was made `at` ms
 * after the message began, so the wait ends by `createdAt + at + timeoutMs` — used when it is sooner and
 * still ahead (a clock far off the server's would otherwise show a call long expired).
 */
export function confirmExpiry(
  msg: Pick<Message, 'createdAt'>,
  at: number | undefined,
  timeoutMs: number,
  wallNow: number,
): number {
  const live = wallNow + timeoutMs;
  const started = Date.parse(msg.createdAt);
  if (at === undefined || !Number.isFinite(started)) return live;
  const replayed = started + at + timeoutMs;
  return replayed > wallNow && replayed < live ? replayed : live;
}

/**
 * Applies a batch of content events to the streaming assistant message. `now` times the reasoning
 * (performance clock); `wallNow` (epoch ms) dates a waiting tool call's deadline.
 */
export function applyEvents(
  msg: Message,
  events: readonly GenerationEvent[],
  timing: StreamTiming,
  now: number,
  wallNow: number = Date.now(),
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
        // Nothing waits once the generation ended (a stop answers a waiting call with an error result).
        if (toolSteps?.some((s) => s.confirm))
          toolSteps = toolSteps.map((s) => (s.confirm ? withoutConfirm(s) : s));
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
        // The decision was taken (or the wait ended): the card shows the result instead of the buttons.
        const { id, ...result } = ev.data;
        toolSteps = (toolSteps ?? []).map((s) => (s.id === id ? { ...withoutConfirm(s), result } : s));
        break;
      }
      case 'tool_confirm':
        toolSteps = waiting(msg, toolSteps ?? [], reasoning.length, ev.data, wallNow);
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

type Step = NonNullable<Message['toolSteps']>[number];

function withoutConfirm({ confirm: _, ...step }: Step): Step {
  return step;
}

/**
 * The steps with call `data.id` marked as waiting for the user. A replay keeps the deadline and any
 * decision already sent, and a call that has its result already waits for nothing.
 */
function waiting(
  msg: Message,
  steps: Step[],
  reasoningOffset: number,
  data: GenerationEventDataMap['tool_confirm'],
  wallNow: number,
): Step[] {
  const { id, name, title, arguments: args, timeoutMs } = data;
  const step = steps.find((s) => s.id === id);
  if (step?.result || step?.confirm) return steps;
  const confirm: ToolConfirm = {
    title,
    timeoutMs,
    expiresAt: confirmExpiry(msg, step?.at, timeoutMs, wallNow),
  };
  // `tool_call` comes first; should it be missing, the call is placed where the reasoning stands.
  if (!step) return [...steps, { id, name, arguments: args, reasoningOffset, at: 0, confirm }];
  return steps.map((s) => (s === step ? { ...s, confirm } : s));
}
