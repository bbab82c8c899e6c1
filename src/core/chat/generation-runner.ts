/**
 * Runs one generation to its end, independent of any HTTP request: streams the provider's chunks into the
 * event log, persists the partial answer (coalesced), and writes the final status, usage and ledger entry.
 * Only its AbortController stops it: a stop request, the conversation or account being deleted, or shutdown.
 */
import type { GenerationEventInput, MessageUsage, ToolStep } from '../../api/conversations.ts';
import { type ChatChunk, type FinishReason, InferenceError } from '../../inference/types.ts';
import type { GenerationStatus, MessageRecord, MessageStatus, Store } from '../../store/types.ts';
import type { AdmissionGrant } from '../inference-gateway.ts';
import type { PreparedTurn, TurnPipeline, TurnRunOptions } from '../turns/turn-pipeline.ts';
import { AbortableStream } from './abortable-stream.ts';
import type { GenerationEventLog } from './event-log.ts';
import { PartialWriter } from './partial-writer.ts';

/** Why a generation was aborted; decides its final status. */
export type AbortReason = 'stop' | 'deleted' | 'shutdown';

export interface ChatLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface GenerationJob {
  generationId: string;
  userId: string;
  conversationId: string;
  assistantMessageId: string;
  /** The prepared turn: its request, model and provider, and the tools Ponder runs in it. */
  turn: PreparedTurn;
  /** Resolves when admission control lets the generation run. */
  grant: Promise<AdmissionGrant>;
  controller: AbortController;
  /** "Answer now": passed to the provider as `ChatOptions.endThinking`. */
  endThinking?: AbortSignal;
  /** Asks the user before a tool that changes things runs (see `TurnRunOptions.confirmTool`). */
  confirmTool?: TurnRunOptions['confirmTool'];
  /** The answer this generation continues: its text, reasoning and usage are the starting point. */
  continues?: MessageRecord;
  /** Read when the generation ends. */
  abortReason: () => AbortReason | null;
}

export interface RunnerDeps {
  store: Store;
  pipeline: TurnPipeline;
  log: GenerationEventLog;
  logger?: ChatLogger;
  /** Partial-output write interval. Default 500 ms. */
  persistIntervalMs?: number;
  /** After a stop, how long the provider's closing token count is waited for. Default 2000 ms. */
  stopGraceMs?: number;
  now?: () => number;
}

/**
 * A runner's dependencies out of its service's options, the optional ones only when set (so the
 * runner's defaults hold). Shared with the arena's sides.
 */
export function runnerDeps(
  o: Pick<RunnerDeps, 'store' | 'pipeline' | 'log' | 'logger' | 'persistIntervalMs'>,
): RunnerDeps {
  return {
    store: o.store,
    pipeline: o.pipeline,
    log: o.log,
    ...(o.logger ? { logger: o.logger } : {}),
    ...(o.persistIntervalMs === undefined ? {} : { persistIntervalMs: o.persistIntervalMs }),
  };
}

/** Ponder runs a web turn's tools itself, so the turn never ends with `tool_calls`. */
type TurnFinishReason = Exclude<FinishReason, 'tool_calls'>;

export interface Outcome {
  finishReason: TurnFinishReason;
  error?: string;
}

/**
 * How a turn ends once its stream is over: an answer that finished before an abort landed keeps its
 * outcome; otherwise an abort is `cancelled` (with a note when the server is shutting down) and a stream
 * that ended without `done` is an error. Shared with the arena's sides.
 */
export function closingOutcome(
  outcome: Outcome | null,
  aborted: boolean,
  reason: AbortReason | null,
): Outcome {
  if (outcome && !(aborted && outcome.finishReason !== 'stop' && outcome.finishReason !== 'length'))
    return outcome;
  return aborted
    ? {
        finishReason: 'cancelled',
        ...(reason === 'shutdown' ? { error: 'interrupted: the server is shutting down' } : {}),
      }
    : { finishReason: 'error', error: 'the model stream ended unexpectedly' };
}

const UNOFFERED_TOOL = 'The model called a tool this chat does not offer.';

export async function runGeneration(job: GenerationJob, deps: RunnerDeps): Promise<void> {
  const { store, pipeline, log, logger } = deps;
  const now = deps.now ?? Date.now;
  const { generationId, userId, controller } = job;
  const signal = controller.signal;
  const before = job.continues;
  let reasoning = before?.reasoning ?? '';
  let text = before?.content ?? '';
  const toolSteps: ToolStep[] = [...(before?.toolSteps ?? [])];
  const startedAt = now();
  // Set in `onUsage` (a closure), so typed by assertion: flow analysis would narrow a plain `null` for good.
  let usage = null as MessageUsage | null;
  /** This generation's own tokens, for the ledger (a continued message's `usage` covers all of it). */
  let ledger = null as MessageUsage | null;
  let firstReasoningAt: number | null = null;
  // Continuing a finished thought keeps its time; continuing one cut off mid-thought adds to it.
  const earlierReasoningMs = before?.reasoningMs ?? 0;
  let reasoningMs: number | null = before && text !== '' ? before.reasoningMs : null;
  let reasoningTokens = before?.usage?.reasoningTokens ?? 0;
  let countedTokens = false;
  let outcome: Outcome | null = null;
  let grant: AdmissionGrant | null = null;
  let stream: AbortableStream<ChatChunk> | undefined;

  const append = (event: GenerationEventInput): Promise<number> => log.append(generationId, event);
  const onUsage = (chunk: Extract<ChatChunk, { type: 'usage' }>): Promise<number> => {
    const { promptTokens, cachedPromptTokens } = chunk;
    ledger = {
      promptTokens,
      cachedPromptTokens,
      completionTokens: chunk.completionTokens,
      reasoningTokens: chunk.reasoningTokens,
    };
    // A continued answer's usage covers all of it: earlier generated tokens are added.
    const prior = before?.usage;
    usage = {
      promptTokens,
      cachedPromptTokens,
      completionTokens: chunk.completionTokens + (prior?.completionTokens ?? 0),
      reasoningTokens: chunk.reasoningTokens + (prior?.reasoningTokens ?? 0),
    };
    return append({ type: 'usage', data: usage });
  };
  const writer = new PartialWriter({
    write: (patch) => store.messages.update(job.assistantMessageId, userId, patch),
    snapshot: () => ({ content: text, reasoning, toolSteps }),
    // The rows are gone (conversation or account deleted): stop generating into nothing.
    onGone: () => controller.abort('deleted' satisfies AbortReason),
    onError: (err) => logger?.warn({ generationId, err: errName(err) }, 'partial write failed'),
    ...(deps.persistIntervalMs === undefined ? {} : { intervalMs: deps.persistIntervalMs }),
  });

  try {
    grant = await waitForGrant(job.grant, signal);
    const opts = {
      signal,
      affinityKey: job.conversationId,
      ...(job.endThinking ? { endThinking: job.endThinking } : {}),
      ...(job.confirmTool ? { confirmTool: job.confirmTool } : {}),
    };
    // A stop ends the loop at once, whatever the provider still has in flight (see AbortableStream).
    stream = new AbortableStream(pipeline.run(job.turn, opts), signal);
    for (let chunk = await stream.next(); chunk !== undefined; chunk = await stream.next()) {
      switch (chunk.type) {
        case 'queued':
          await append({ type: 'queued', data: pick(chunk, ['position', 'etaMs']) });
          break;
        case 'reasoning':
          if (chunk.text === '') break;
          firstReasoningAt ??= now();
          reasoning += chunk.text;
          writer.markDirty();
          if (chunk.tokens !== undefined) {
            reasoningTokens += chunk.tokens;
            countedTokens = true;
          }
          await append({
            type: 'reasoning',
            data: countedTokens ? { text: chunk.text, tokens: reasoningTokens } : { text: chunk.text },
          });
          break;
        case 'text':
          if (chunk.text === '') break;
          if (firstReasoningAt !== null && reasoningMs === null)
            reasoningMs = earlierReasoningMs + now() - firstReasoningAt;
          text += chunk.text;
          writer.markDirty();
          await append({ type: 'text', data: { text: chunk.text } });
          break;
        case 'usage':
          await onUsage(chunk);
          break;
        case 'tool_call': {
          // The pipeline hands over each call of Ponder's tools whole, just before running it.
          const step: ToolStep = {
            id: chunk.id ?? '',
            name: chunk.name ?? '',
            arguments: chunk.arguments,
            reasoningOffset: reasoning.length,
            at: now() - startedAt,
          };
          toolSteps.push(step);
          writer.markDirty();
          await append({ type: 'tool_call', data: step });
          break;
        }
        case 'tool_result': {
          const result = { content: chunk.content, isError: chunk.isError, ms: chunk.ms };
          const step = toolSteps.find((s) => s.id === chunk.id);
          if (step) step.result = result;
          writer.markDirty();
          await append({ type: 'tool_result', data: { id: chunk.id, ...result } });
          break;
        }
        case 'done':
          if (chunk.finishReason === 'tool_calls') outcome = { finishReason: 'error', error: UNOFFERED_TOOL };
          else if (chunk.error) outcome = { finishReason: chunk.finishReason, error: chunk.error };
          else outcome = { finishReason: chunk.finishReason };
          // The detail names internal hosts: the log gets it, the user's message and the DB do not.
          if (chunk.detail) logger?.warn({ generationId, detail: chunk.detail }, 'generation failed');
          break;
        default:
          chunk satisfies never;
      }
      if (outcome) break;
    }
    // Stopped: nothing more is shown, but the tokens the provider still reports count (quota, ledger).
    if (signal.aborted && !outcome) {
      for await (const chunk of stream.rest(deps.stopGraceMs ?? 2000)) {
        if (chunk.type === 'usage') await onUsage(chunk);
        if (chunk.type === 'done') break;
      }
    }
  } catch (err) {
    if (!signal.aborted) {
      outcome = { finishReason: 'error', error: publicMessage(err) };
      if (!(err instanceof InferenceError))
        logger?.error({ generationId, err: errName(err) }, 'generation failed');
      else if (err.detail) logger?.warn({ generationId, detail: err.detail }, 'generation failed');
    }
  } finally {
    stream?.close();
    grant?.release();
  }

  const reason = job.abortReason();
  outcome = closingOutcome(outcome, signal.aborted, reason);
  if (firstReasoningAt !== null && reasoningMs === null)
    reasoningMs = earlierReasoningMs + now() - firstReasoningAt;

  const { messageStatus, generationStatus } = finalStatus(outcome.finishReason, reason);
  if (reason !== 'deleted' && !writer.gone) {
    const written = await writer.close({
      status: messageStatus,
      error: outcome.finishReason === 'error' ? (outcome.error ?? 'generation failed') : null,
      reasoningMs,
      usage,
      finishReason: outcome.finishReason,
    });
    if (written) {
      await settle(logger, generationId, 'finish', () =>
        store.generations.finish(generationId, userId, generationStatus, outcome.error ?? null),
      );
      if (ledger) {
        const u = ledger;
        await settle(logger, generationId, 'usage', () =>
          store.usage.record({
            userId,
            generationId,
            model: job.turn.request.model,
            promptTokens: u.promptTokens,
            completionTokens: u.completionTokens,
            reasoningTokens: u.reasoningTokens,
            reasoning: job.turn.request.thinking?.enabled !== false,
          }),
        );
      }
    }
  } else {
    await writer.close({}).catch(() => false);
  }
  // `done` goes out after the final write, so a client that reloads on `done` sees the final state.
  await append({ type: 'done', data: outcome });
  logger?.info(
    { generationId, finishReason: outcome.finishReason, completionTokens: usage?.completionTokens ?? 0 },
    'generation finished',
  );
}

function finalStatus(
  finishReason: TurnFinishReason,
  reason: AbortReason | null,
): { messageStatus: MessageStatus; generationStatus: Exclude<GenerationStatus, 'running'> } {
  // Errors stay errors: an answer that failed on its own while the server drained did fail.
  if (reason === 'shutdown' && finishReason === 'cancelled') {
    return { messageStatus: 'interrupted', generationStatus: 'interrupted' };
  }
  switch (finishReason) {
    case 'stop':
    case 'length':
      return { messageStatus: 'complete', generationStatus: 'done' };
    case 'cancelled':
      return { messageStatus: 'cancelled', generationStatus: 'cancelled' };
    case 'error':
      return { messageStatus: 'error', generationStatus: 'error' };
    default:
      return finishReason satisfies never;
  }
}

export async function waitForGrant(
  grant: Promise<AdmissionGrant>,
  signal: AbortSignal,
): Promise<AdmissionGrant> {
  if (signal.aborted) {
    void grant.then((g) => g.release()).catch(() => {});
    throw new Error('aborted');
  }
  return new Promise<AdmissionGrant>((resolve, reject) => {
    const onAbort = (): void => {
      // A grant that arrives after the abort is handed back at once.
      void grant.then((g) => g.release()).catch(() => {});
      reject(new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    grant.then(
      (g) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) g.release();
        else resolve(g);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

async function settle(
  logger: ChatLogger | undefined,
  generationId: string,
  what: string,
  fn: () => Promise<unknown>,
): Promise<void> {
  try {
    await fn();
  } catch (err) {
    logger?.warn({ generationId, err: errName(err) }, `final ${what} write failed`);
  }
}

/** A message safe to show the user: typed errors keep theirs, anything else is generic. */
export function publicMessage(err: unknown): string {
  if (err instanceof InferenceError) return err.message;
  if (err instanceof Error && typeof (err as { code?: unknown }).code === 'string' && 'status' in err) {
    return err.message;
  }
  return 'generation failed';
}

function errName(err: unknown): string {
  if (err instanceof Error) return `${err.name}${'code' in err ? `:${String(err.code)}` : ''}`;
  return typeof err;
}

function pick<T extends object, K extends keyof T>(obj: T, keys: K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}
