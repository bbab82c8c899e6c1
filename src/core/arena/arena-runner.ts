/**
 * Runs one side of an arena battle to its end, independent of any HTTP request: the turn pipeline's
 * chunks go into the event log (the browser streams them), the answer is saved (coalesced) on the
 * battle's side, and the tokens go to the usage ledger, so the side counts against the plan's quota like
 * any turn. Nothing written where the browser can read it names the model before the vote: the side's
 * `meta` carries no model, and an error naming the model has the name replaced.
 */
import type { GenerationEventInput } from '../../api/conversations.ts';
import { type ChatChunk, InferenceError } from '../../inference/types.ts';
import type { ArenaSide, ArenaSideStatus, Store } from '../../store/types.ts';
import { AbortableStream } from '../chat/abortable-stream.ts';
import type { GenerationEventLog } from '../chat/event-log.ts';
import {
  type ChatLogger,
  closingOutcome,
  type Outcome,
  publicMessage,
  waitForGrant,
} from '../chat/generation-runner.ts';
import { PartialWriter } from '../chat/partial-writer.ts';
import type { AdmissionGrant } from '../inference-gateway.ts';
import type { PreparedTurn, TurnPipeline } from '../turns/turn-pipeline.ts';

export interface ArenaSideJob {
  battleId: string;
  userId: string;
  side: ArenaSide;
  /** The side's key in the event log. */
  logId: string;
  turn: PreparedTurn;
  grant: Promise<AdmissionGrant>;
  controller: AbortController;
  /** Read at the end: `deleted` (account gone) writes nothing more. */
  abortReason: () => 'stop' | 'deleted' | 'shutdown' | null;
}

export interface ArenaRunnerDeps {
  store: Store;
  pipeline: TurnPipeline;
  log: GenerationEventLog;
  logger?: ChatLogger;
  /** Partial-output write interval. Default 500 ms. */
  persistIntervalMs?: number;
  now?: () => number;
}

/** The model's name out of a message shown before the vote (e.g. `Model "x" is not ready`). */
export function withoutModelName(message: string, model: string): string {
  return model === '' ? message : message.split(model).join('this model');
}

export async function runArenaSide(job: ArenaSideJob, deps: ArenaRunnerDeps): Promise<void> {
  const { store, pipeline, log, logger } = deps;
  const now = deps.now ?? Date.now;
  const { userId, controller, side, battleId } = job;
  const model = job.turn.model.id;
  const signal = controller.signal;
  let reasoning = '';
  let text = '';
  let firstReasoningAt: number | null = null;
  let reasoningMs: number | null = null;
  let reasoningTokens = 0;
  let usage: Extract<ChatChunk, { type: 'usage' }> | null = null;
  let outcome: Outcome | null = null;
  let grant: AdmissionGrant | null = null;
  let stream: AbortableStream<ChatChunk> | undefined;

  const append = (event: GenerationEventInput) => log.append(job.logId, event);
  const writer = new PartialWriter({
    write: (patch) =>
      store.arena.updateSide(battleId, userId, side, {
        ...(patch.content === undefined ? {} : { content: patch.content }),
        ...(patch.reasoning === undefined ? {} : { reasoning: patch.reasoning }),
        ...(patch.status === undefined ? {} : { status: patch.status as ArenaSideStatus }),
        ...(patch.error === undefined ? {} : { error: patch.error }),
        ...(patch.reasoningMs === undefined ? {} : { reasoningMs: patch.reasoningMs }),
      }),
    snapshot: () => ({ content: text, reasoning }),
    // The battle is gone (account deleted): stop generating into nothing.
    onGone: () => controller.abort('deleted'),
    onError: (err) =>
      logger?.warn({ battleId, side, err: (err as Error)?.name }, 'arena partial write failed'),
    ...(deps.persistIntervalMs === undefined ? {} : { intervalMs: deps.persistIntervalMs }),
  });

  try {
    grant = await waitForGrant(job.grant, signal);
    stream = new AbortableStream(
      pipeline.run(job.turn, { signal, affinityKey: `arena:${battleId}:${side}` }),
      signal,
    );
    for (let chunk = await stream.next(); chunk !== undefined; chunk = await stream.next()) {
      switch (chunk.type) {
        case 'queued':
          await append({
            type: 'queued',
            data:
              chunk.etaMs === undefined
                ? { position: chunk.position }
                : { position: chunk.position, etaMs: chunk.etaMs },
          });
          break;
        case 'reasoning': {
          if (chunk.text === '') break;
          firstReasoningAt ??= now();
          reasoning += chunk.text;
          writer.markDirty();
          if (chunk.tokens !== undefined) reasoningTokens += chunk.tokens;
          await append({
            type: 'reasoning',
            data:
              chunk.tokens === undefined
                ? { text: chunk.text }
                : { text: chunk.text, tokens: reasoningTokens },
          });
          break;
        }
        case 'text':
          if (chunk.text === '') break;
          if (firstReasoningAt !== null && reasoningMs === null) reasoningMs = now() - firstReasoningAt;
          text += chunk.text;
          writer.markDirty();
          await append({ type: 'text', data: { text: chunk.text } });
          break;
        case 'usage':
          usage = chunk;
          await append({
            type: 'usage',
            data: {
              promptTokens: chunk.promptTokens,
              cachedPromptTokens: chunk.cachedPromptTokens,
              completionTokens: chunk.completionTokens,
              reasoningTokens: chunk.reasoningTokens,
            },
          });
          break;
        case 'tool_call':
        case 'tool_result':
          // An arena turn offers no tools; a model calling one anyway ends its side.
          outcome = { finishReason: 'error', error: 'The model called a tool; the arena offers none.' };
          break;
        case 'done':
          outcome =
            chunk.finishReason === 'tool_calls'
              ? { finishReason: 'error', error: 'The model called a tool; the arena offers none.' }
              : chunk.error
                ? { finishReason: chunk.finishReason, error: chunk.error }
                : { finishReason: chunk.finishReason };
          if (chunk.detail) logger?.warn({ battleId, side, detail: chunk.detail }, 'arena side failed');
          break;
        default:
          chunk satisfies never;
      }
      if (outcome) break;
    }
    // Stopped: the tokens the provider still reports count (quota, ledger).
    if (signal.aborted && !outcome) {
      for await (const chunk of stream.rest(2000)) {
        if (chunk.type === 'usage') usage = chunk;
        if (chunk.type === 'done') break;
      }
    }
  } catch (err) {
    if (!signal.aborted) {
      outcome = { finishReason: 'error', error: publicMessage(err) };
      if (!(err instanceof InferenceError))
        logger?.error({ battleId, side, err: (err as Error)?.name }, 'arena side failed');
    }
  } finally {
    stream?.close();
    grant?.release();
  }

  const reason = job.abortReason();
  outcome = closingOutcome(outcome, signal.aborted, reason);
  if (outcome.error) outcome.error = withoutModelName(outcome.error, model);
  if (firstReasoningAt !== null && reasoningMs === null) reasoningMs = now() - firstReasoningAt;
  const status: ArenaSideStatus =
    reason === 'shutdown' && outcome.finishReason === 'cancelled'
      ? 'interrupted'
      : outcome.finishReason === 'stop' || outcome.finishReason === 'length'
        ? 'complete'
        : outcome.finishReason;

  if (reason !== 'deleted' && !writer.gone) {
    const written = await writer.close({
      status,
      error: outcome.finishReason === 'error' ? (outcome.error ?? 'generation failed') : null,
      reasoningMs,
    });
    if (written && usage) {
      const u = usage;
      try {
        await store.usage.record({
          userId,
          generationId: null,
          model,
          promptTokens: u.promptTokens,
          completionTokens: u.completionTokens,
          reasoningTokens: u.reasoningTokens,
          reasoning: job.turn.request.thinking?.enabled !== false,
        });
      } catch (err) {
        logger?.warn({ battleId, side, err: (err as Error)?.name }, 'arena usage write failed');
      }
    }
  } else {
    await writer.close({}).catch(() => false);
  }
  await append({ type: 'done', data: outcome });
  logger?.info({ battleId, side, finishReason: outcome.finishReason }, 'arena side finished');
}
