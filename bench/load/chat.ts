/**
 * One chat turn over the web API, measured: a fresh conversation (so prompts stay the same length),
 * then `POST /api/conversations/:id/messages` read as SSE with the user's session cookie.
 */
import { appendFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { errorCode, http, retryAfterSeconds, sse } from './http.ts';
import type { Instance } from './instances.ts';
import { authHeaders, type BenchUser } from './users.ts';

/**
 * `admitted`: the model answered (tokens streamed); `shed`: refused with 429/503 before the stream, or
 * ended in the queue without a token; `failed`: anything else (other statuses, cut streams, errors).
 */
export type TurnOutcome = 'admitted' | 'shed' | 'failed';

export interface TurnResult {
  outcome: TurnOutcome;
  user: BenchUser;
  status: number;
  code?: string;
  /** `Retry-After` of a shed answer (seconds); undefined when the header was missing. */
  retryAfter?: number;
  /** performance.now() when the message was posted. */
  start: number;
  /** Time to the response head (the whole answer for a refusal). */
  headMs: number;
  ttftMs?: number;
  firstTokenAt?: number;
  endAt: number;
  /** Completion tokens (from `usage`, else the number of deltas). */
  tokens: number;
  finishReason?: string;
  queuedEvents: number;
  /** From the `meta` event: the server has stored the user message. */
  ack?: { conversationId: string; userMessageId: string; assistantMessageId: string };
  error?: string;
}

export interface TurnOptions {
  content?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

const SHED_STATUSES = new Set([429, 503]);

export async function chatTurn(
  instance: Instance,
  user: BenchUser,
  opts: TurnOptions = {},
): Promise<TurnResult> {
  const result = { ...(await turn(instance, user, opts)), user };
  if (dumpFile) {
    const { user: _user, ...rest } = result;
    appendFileSync(
      dumpFile,
      `${JSON.stringify({ instance: instance.spec.name, email: user.email, ...rest })}\n`,
    );
  }
  return result;
}

let dumpFile: string | undefined;

/** Appends every turn to `file` as a JSON line (`PONDER_BENCH_DUMP`); never the session cookie. */
export function dumpTurnsTo(file: string | undefined): void {
  dumpFile = file;
}

async function turn(
  instance: Instance,
  user: BenchUser,
  opts: TurnOptions,
): Promise<Omit<TurnResult, 'user'>> {
  const headers = authHeaders(instance, user);
  const base = {
    agent: instance.agent,
    timeoutMs: opts.timeoutMs ?? 120_000,
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
  let start = performance.now();
  let convId: string;
  try {
    const conv = await http(`${instance.url}/api/conversations`, { ...base, headers, json: {} });
    if (conv.status !== 201) {
      const code = errorCode(conv.body);
      const ra = retryAfterSeconds(conv.headers);
      return {
        outcome: SHED_STATUSES.has(conv.status) ? 'shed' : 'failed',
        status: conv.status,
        ...(code ? { code } : {}),
        ...(ra !== undefined ? { retryAfter: ra } : {}),
        start,
        headMs: conv.ms,
        endAt: performance.now(),
        tokens: 0,
        queuedEvents: 0,
        error: `create conversation: HTTP ${conv.status}`,
      };
    }
    convId = (JSON.parse(conv.body) as { id: string }).id;
  } catch (err) {
    const now = performance.now();
    return {
      outcome: 'failed',
      status: 0,
      start,
      headMs: now - start,
      endAt: now,
      tokens: 0,
      queuedEvents: 0,
      error: (err as Error).message,
    };
  }

  start = performance.now();
  let firstTokenAt: number | undefined;
  let deltas = 0;
  let usageTokens: number | undefined;
  let finishReason: string | undefined;
  let doneError: string | undefined;
  let queuedEvents = 0;
  let ack: TurnResult['ack'];
  const res = await sse(
    `${instance.url}/api/conversations/${convId}/messages`,
    { ...base, headers, json: { content: opts.content ?? 'Why is the sky blue? Think it through.' } },
    (ev) => {
      switch (ev.event) {
        case 'meta': {
          const meta = JSON.parse(ev.data) as {
            conversationId: string;
            userMessageId: string;
            assistantMessageId: string;
          };
          ack = {
            conversationId: meta.conversationId,
            userMessageId: meta.userMessageId,
            assistantMessageId: meta.assistantMessageId,
          };
          break;
        }
        case 'reasoning':
        case 'text':
          deltas++;
          firstTokenAt ??= performance.now();
          break;
        case 'queued':
          queuedEvents++;
          break;
        case 'usage':
          usageTokens = (JSON.parse(ev.data) as { completionTokens?: number }).completionTokens;
          break;
        case 'done': {
          const done = JSON.parse(ev.data) as { finishReason: string; error?: string };
          finishReason = done.finishReason;
          doneError = done.error;
          break;
        }
        default:
          break;
      }
    },
  );
  const endAt = performance.now();
  const common = {
    status: res.status,
    start,
    headMs: res.headMs,
    endAt,
    tokens: usageTokens ?? deltas,
    queuedEvents,
    ...(ack ? { ack } : {}),
    ...(finishReason ? { finishReason } : {}),
    ...(firstTokenAt !== undefined ? { firstTokenAt, ttftMs: firstTokenAt - start } : {}),
  };
  if (res.status !== 200) {
    const code = errorCode(res.body);
    const ra = retryAfterSeconds(res.headers);
    return {
      ...common,
      outcome: SHED_STATUSES.has(res.status) ? 'shed' : 'failed',
      ...(code ? { code } : {}),
      ...(ra !== undefined ? { retryAfter: ra } : {}),
      ...(res.error ? { error: res.error } : { error: `HTTP ${res.status}` }),
    };
  }
  if (res.error) return { ...common, outcome: 'failed', error: res.error };
  if (finishReason === 'stop' || finishReason === 'length') return { ...common, outcome: 'admitted' };
  // Ended without an answer: a queue timeout or an overload met while queued is shedding too.
  if (deltas === 0 && /overload|queue|capacity|busy|retry/i.test(doneError ?? '')) {
    return { ...common, outcome: 'shed', code: 'in-stream', error: doneError ?? finishReason ?? 'no done' };
  }
  return { ...common, outcome: 'failed', error: `done ${finishReason ?? '(none)'}: ${doneError ?? ''}` };
}
