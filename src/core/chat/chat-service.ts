/**
 * The chat turn: validates a message (or regeneration), stores it, starts a generation in the background
 * and returns its id; the caller streams its events from the event log. Keeps the registry of this
 * process's running generations for stop, deletion and graceful shutdown.
 */
import type {
  ContinueBody,
  MetaEventData,
  RegenerateBody,
  SendMessageBody,
} from '../../api/conversations.ts';
import type { Store } from '../../store/types.ts';
import { ConversationError, notFound } from '../conversations/errors.ts';
import { pathTo } from '../conversations/mapping.ts';
import type { RunningGenerations } from '../conversations/service.ts';
import type { TurnPipeline } from '../turns/turn-pipeline.ts';
import { admitEarly } from './early-admission.ts';
import type { GenerationEventLog } from './event-log.ts';
import { type AbortReason, type ChatLogger, runGeneration, runnerDeps } from './generation-runner.ts';
import { ToolConfirmations } from './tool-confirmations.ts';
import { attachTurnDocuments, turnDocuments } from './turn-documents.ts';
import { type ChatTurn, replayHeldAnswer, storeTurn } from './turn-records.ts';
import { continuable, turnThinking } from './turn-request.ts';

export interface ChatUser {
  id: string;
  plan: string;
}

export interface ChatServiceOptions {
  store: Store;
  /** Model, plan limits, admission and the stream with Ponder's tools: the same turn pipeline as `/v1`. */
  pipeline: TurnPipeline;
  log: GenerationEventLog;
  logger?: ChatLogger;
  /** Cap on generated tokens (reasoning and answer) per turn. Default: the model's remaining context. */
  maxTokens?: number;
  /** Partial-output write interval. Default 500 ms. */
  persistIntervalMs?: number;
  /** How long a tool that changes things waits for the user's confirmation, in ms. Default 300 000. */
  confirmTimeoutMs?: number;
}

export interface StartedGeneration {
  generationId: string;
  meta: MetaEventData;
}

interface Running {
  generationId: string;
  userId: string;
  conversationId: string;
  controller: AbortController;
  /** Aborted by "answer now". */
  endThinking: AbortController;
  canEndThinking: boolean;
  reason: AbortReason | null;
  finished: Promise<void>;
  /** Tool calls waiting for the user's yes or no. */
  confirmations: ToolConfirmations;
}

export class ChatService implements RunningGenerations, AsyncDisposable {
  readonly #o: ChatServiceOptions;
  readonly #running = new Map<string, Running>();
  #closing = false;

  constructor(options: ChatServiceOptions) {
    this.#o = options;
  }

  /** A new user message after `parentId` (default: the latest message), answered by a new generation. */
  async send(user: ChatUser, conversationId: string, body: SendMessageBody): Promise<StartedGeneration> {
    const { store } = this.#o;
    const conversation = await store.conversations.get(conversationId, user.id);
    if (!conversation) throw notFound();
    const tree = (await store.messages.tree(conversationId, user.id)) ?? [];
    const parentId = body.parentId === undefined ? (tree.at(-1)?.id ?? null) : body.parentId;
    const parent = parentId === null ? null : tree.find((m) => m.id === parentId);
    if (parentId !== null && !parent) {
      throw new ConversationError(
        'invalid_request',
        'parentId is not a message of this conversation.',
        'parentId',
      );
    }
    if (parent?.role === 'user') {
      throw new ConversationError(
        'invalid_request',
        'parentId must be an assistant message (or absent): a user message follows an answer.',
        'parentId',
      );
    }
    if (parent?.status === 'streaming') {
      throw new ConversationError(
        'conflict',
        'That answer is still being generated; stop it or wait for it.',
      );
    }
    return this.#start(user, conversationId, {
      body,
      history: parent ? pathTo(tree, parent.id) : [],
      newUserMessage: { content: body.content, parentId },
      firstUserMessage: !tree.some((m) => m.role === 'user'),
      titleEmpty: conversation.title === '',
    });
  }

  /** A new answer to the user message that `messageId` answers (or to `messageId` itself if it is a user message). */
  async regenerate(
    user: ChatUser,
    conversationId: string,
    messageId: string,
    body: RegenerateBody,
  ): Promise<StartedGeneration> {
    const { store } = this.#o;
    const tree = await store.messages.tree(conversationId, user.id);
    if (!tree) throw notFound();
    const target = tree.find((m) => m.id === messageId);
    if (!target) throw notFound('message');
    const question = target.role === 'user' ? target : tree.find((m) => m.id === target.parentId);
    if (question?.role !== 'user') {
      throw new ConversationError(
        'invalid_request',
        'Only answers to a user message can be regenerated.',
        'messageId',
      );
    }
    return this.#start(user, conversationId, {
      body: body ?? {},
      history: pathTo(tree, question.id),
      newUserMessage: null,
      firstUserMessage: false,
      titleEmpty: false,
    });
  }

  /**
   * Continues an answer that was cut off (token or context limit) or stopped: the same message grows,
   * under a new generation. `conflict` for an answer still streaming or one that ended on its own.
   */
  async continue(
    user: ChatUser,
    conversationId: string,
    messageId: string,
    body: ContinueBody,
  ): Promise<StartedGeneration> {
    const tree = await this.#o.store.messages.tree(conversationId, user.id);
    if (!tree) throw notFound();
    const { target, question } = continuable(tree, messageId);
    return this.#start(user, conversationId, {
      body: {
        ...(target.model ? { model: target.model } : {}),
        ...(body?.thinking ? { thinking: body.thinking } : {}),
        ...(body?.tools ? { tools: body.tools } : {}),
      },
      history: pathTo(tree, question.id),
      newUserMessage: null,
      continues: target,
      firstUserMessage: false,
      titleEmpty: false,
    });
  }

  /**
   * "Answer now": the generation closes its reasoning and answers. `false` when the id is unknown or
   * another user's; `conflict` when its model server cannot. A generation running on another instance
   * is left to the caller (the stop bus); a finished one is a no-op.
   */
  async endThinking(userId: string, generationId: string): Promise<boolean> {
    const running = this.#running.get(generationId);
    if (running) {
      if (running.userId !== userId) return false;
      if (!running.canEndThinking) {
        throw new ConversationError(
          'conflict',
          "This model's server cannot cut its reasoning short; stop the answer instead.",
        );
      }
      running.endThinking.abort();
      return true;
    }
    return (await this.#o.store.generations.get(generationId, userId)) !== null;
  }

  /**
   * The user's decision on a tool call that waits for it. `false` when the generation is not this user's
   * or not running here, or the call waits for nothing (answer 404).
   */
  confirmTool(userId: string, generationId: string, callId: string, approve: boolean): boolean {
    const running = this.#running.get(generationId);
    return running?.userId === userId && running.confirmations.decide(callId, approve);
  }

  /** Stops a generation of this user. `false` when the id is unknown or another user's (answer 404). */
  async stop(userId: string, generationId: string): Promise<boolean> {
    const running = this.#running.get(generationId);
    if (running) {
      if (running.userId !== userId) return false;
      running.reason ??= 'stop';
      running.controller.abort(running.reason);
      return true;
    }
    // Not running here: finished already (stopping is then a no-op), or unknown / not this user's.
    return (await this.#o.store.generations.get(generationId, userId)) !== null;
  }

  async cancelConversation(userId: string, conversationId: string): Promise<void> {
    await this.#cancelWhere((r) => r.userId === userId && r.conversationId === conversationId, 'deleted');
  }

  /** For account deletion (register with `AccountHooks.onUserDeleted`): ends the user's generations without writes. */
  async cancelUser(userId: string): Promise<void> {
    await this.#cancelWhere((r) => r.userId === userId, 'deleted');
  }

  /** Generation ids running in this process. */
  runningIds(): string[] {
    return [...this.#running.keys()];
  }

  /** Refuses new turns (`conflict`) from now on; running generations go on. */
  closeForNewTurns(): void {
    this.#closing = true;
  }

  /** Resolves when no generation runs in this process any more, or when `signal` aborts. */
  async drain(signal: AbortSignal): Promise<void> {
    while (this.#running.size > 0 && !signal.aborted) {
      const all = [...this.#running.values()].map((r) => r.finished);
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener('abort', done);
          resolve();
        };
        signal.addEventListener('abort', done, { once: true });
        void Promise.race(all).then(done);
      });
    }
  }

  /**
   * Graceful shutdown: refuses new turns, cancels running generations and waits (at most `timeoutMs`,
   * default 10 s) until their partial output is saved with status `interrupted`.
   */
  async shutdown(timeoutMs = 10_000): Promise<void> {
    this.#closing = true;
    const all = [...this.#running.values()];
    for (const r of all) {
      r.reason ??= 'shutdown';
      r.controller.abort(r.reason);
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(all.map((r) => r.finished)),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  async #cancelWhere(match: (r: Running) => boolean, reason: AbortReason): Promise<void> {
    const hits = [...this.#running.values()].filter(match);
    for (const r of hits) {
      r.reason = reason;
      r.controller.abort(reason);
    }
    await Promise.allSettled(hits.map((r) => r.finished));
  }

  async #start(user: ChatUser, conversationId: string, turn: ChatTurn): Promise<StartedGeneration> {
    if (this.#closing) {
      throw new ConversationError('conflict', 'The server is shutting down; try again in a moment.');
    }
    const { store, pipeline, log } = this.#o;
    // The model, its capabilities and the plan's limits first: a refusal is answered before anything is stored.
    const prepared = await pipeline.prepare(
      { userId: user.id, plan: user.plan },
      {
        model: turn.body.model ?? '',
        messages: [],
        thinking: turnThinking(turn.body.thinking),
        ...(this.#o.maxTokens === undefined ? {} : { maxTokens: this.#o.maxTokens }),
      },
      {
        ponderTools: turn.body.tools ?? [],
        ...(turn.body.search ? { searchFirst: {} } : {}),
        ...turnDocuments(turn.body.documents),
      },
    );
    const { model } = prepared;
    const controller = new AbortController();

    // Admission first: a refusal known now is answered as an error, before anything is stored.
    const admission = await admitEarly((wait) => pipeline.admit(prepared, wait), controller.signal, log);
    const { grant } = admission;

    try {
      // Draft uploads join the conversation once the turn is admitted (a refused turn leaves them drafts),
      // before anything is stored; a file not the user's is refused here.
      await attachTurnDocuments(pipeline.documents, user.id, turn.body.documents, conversationId);
      const stored = await storeTurn(
        { store, logger: this.#o.logger },
        user.id,
        conversationId,
        turn,
        prepared,
      );
      const { generationId: id, meta } = stored;
      await log.open(id, meta);
      await admission.attach(id);
      await replayHeldAnswer(log, id, turn.continues);

      const running: Running = {
        generationId: id,
        userId: user.id,
        conversationId,
        controller,
        endThinking: new AbortController(),
        canEndThinking: model.canEndThinking === true,
        reason: null,
        finished: Promise.resolve(),
        confirmations: new ToolConfirmations(id, log, controller.signal, this.#o.confirmTimeoutMs ?? 300_000),
      };
      running.finished = runGeneration(
        {
          generationId: id,
          userId: user.id,
          conversationId,
          assistantMessageId: stored.assistantMessageId,
          turn: { ...prepared, request: stored.request },
          grant,
          controller,
          endThinking: running.endThinking.signal,
          confirmTool: (call, tool) => running.confirmations.ask(call, tool),
          ...(turn.continues ? { continues: turn.continues } : {}),
          // While shutting down, an answer the provider itself ends `cancelled` (the engine stopping)
          // was cut by the shutdown too, so it is stored `interrupted`.
          abortReason: () => running.reason ?? (this.#closing ? 'shutdown' : null),
        },
        runnerDeps(this.#o),
      )
        .catch((err: unknown) => {
          this.#o.logger?.error({ generationId: id, err: (err as Error)?.name }, 'generation runner crashed');
        })
        .finally(() => this.#running.delete(id));
      this.#running.set(id, running);
      return { generationId: id, meta };
    } catch (err) {
      controller.abort();
      void grant.then((g) => g.release()).catch(() => {});
      if (isStoreNotFound(err)) throw notFound();
      throw err;
    }
  }
}

function isStoreNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'not_found';
}
