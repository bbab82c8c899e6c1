/**
 * The arena: one question, two anonymous models answering side by side, a vote, then the reveal.
 *
 * - The pair is drawn here, at random, from the models that are ready (never the same model twice), and
 *   which one is A is random too. Nothing the browser gets before the vote names a model: the battle's
 *   view leaves `model` out, the side streams are keyed by battle and side (not by model or generation),
 *   their `meta` carries no model, and errors have the model's name replaced.
 * - Each side is a turn of the turn pipeline with its own admission: both count against the plan's
 *   quota (two ledger entries) and concurrency, like two chat turns.
 * - A vote is taken once both sides ended and both gave an answer. A side that failed or was stopped
 *   before writing any answer leaves the battle unrated (a failure of the server is no verdict on the
 *   model), and the identities then stay hidden: revealing them without a vote would let a user pick
 *   which battles count.
 */
import { randomInt } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type {
  ArenaBattleView,
  ArenaLeaderboard,
  ArenaSide,
  ArenaVote,
  CreateBattleBody,
} from '../../api/arena.ts';
import type { GenerationEvent } from '../../api/conversations.ts';
import type { ArenaBattleRecord, ArenaSideRecord, Store } from '../../store/types.ts';
import { admitEarly } from '../chat/early-admission.ts';
import type { GenerationEventLog } from '../chat/event-log.ts';
import { type ChatLogger, runnerDeps } from '../chat/generation-runner.ts';
import { turnThinking } from '../chat/turn-request.ts';
import type { AdmissionGrant, InferenceGateway } from '../inference-gateway.ts';
import type { PreparedTurn, TurnCaller, TurnPipeline } from '../turns/turn-pipeline.ts';
import { runArenaSide } from './arena-runner.ts';
import { anonymousMeta, savedSideEvents, view, voteBlocked } from './arena-view.ts';
import { drawPair } from './pair.ts';
import { leaderboard } from './rating.ts';

/** Kept importable from here, beside the service that produces the view. */
export { view } from './arena-view.ts';

export type ArenaErrorCode = 'not_found' | 'conflict' | 'unavailable';

/** A typed refusal; the server maps `not_found` → 404, `conflict` → 409, `unavailable` → 409 `arena_unavailable`. */
export class ArenaError extends Error {
  override readonly name = 'ArenaError';
  constructor(
    readonly code: ArenaErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface ArenaServiceOptions {
  store: Store;
  pipeline: TurnPipeline;
  gateway: Pick<InferenceGateway, 'listModels'>;
  log: GenerationEventLog;
  logger?: ChatLogger;
  /** Cap on generated tokens per side. Default: the model's remaining context. */
  maxTokens?: number;
  /** Partial-output write interval. Default 500 ms. */
  persistIntervalMs?: number;
  /** Uniform integer in [0, n): the pair and the sides' order. Default `crypto.randomInt`. */
  randomInt?: (n: number) => number;
  /** Bootstrap rounds of the leaderboard. Default 200. */
  bootstrapRounds?: number;
  /**
   * With several instances: a stop for a side running elsewhere is published here (the generation stop
   * bus, keyed by the side's log id); the instance running it acts in `stopLocal`.
   */
  stopBus?: { publish(id: string, userId: string): Promise<void> };
}

interface RunningSide {
  controller: AbortController;
  reason: 'stop' | 'deleted' | 'shutdown' | null;
  finished: Promise<void>;
}

interface RunningBattle {
  userId: string;
  sides: Partial<Record<ArenaSide, RunningSide>>;
}

const SIDES: readonly ArenaSide[] = ['a', 'b'];

/** The event-log key of a battle's side: any instance sharing the log finds it from the battle alone. */
export function sideLogId(battleId: string, side: ArenaSide): string {
  return `arena:${battleId}:${side}`;
}

export class ArenaService implements AsyncDisposable {
  readonly #o: ArenaServiceOptions;
  readonly #running = new Map<string, RunningBattle>();
  #closing = false;

  constructor(options: ArenaServiceOptions) {
    this.#o = options;
  }

  /** Draws two ready models, starts both answers and returns the battle's (anonymous) view. */
  async start(caller: TurnCaller, body: CreateBattleBody): Promise<ArenaBattleView> {
    if (this.#closing)
      throw new ArenaError('conflict', 'The server is shutting down; try again in a moment.');
    const { store, pipeline, log } = this.#o;
    const [modelA, modelB] = await this.#drawPair();
    const thinking = turnThinking(body.thinking);
    const prepare = (model: string) =>
      pipeline.prepare(caller, {
        model,
        messages: [{ role: 'user', content: body.content }],
        thinking,
        ...(this.#o.maxTokens === undefined ? {} : { maxTokens: this.#o.maxTokens }),
      });
    const turns: Record<ArenaSide, PreparedTurn> = { a: await prepare(modelA), b: await prepare(modelB) };

    // Both admissions before anything is stored: a refusal (quota, overload) is answered as an error.
    const controllers = { a: new AbortController(), b: new AbortController() };
    const admitted: Partial<Record<ArenaSide, Awaited<ReturnType<typeof admitEarly>>>> = {};
    try {
      for (const side of SIDES) {
        admitted[side] = await admitEarly(
          (wait) => pipeline.admit(turns[side], wait),
          controllers[side].signal,
          log,
        );
      }
    } catch (err) {
      for (const side of SIDES) {
        controllers[side].abort();
        releaseLater(admitted[side]?.grant);
      }
      throw err;
    }

    let battle: ArenaBattleRecord;
    try {
      battle = await store.arena.create({ userId: caller.userId, prompt: body.content, modelA, modelB });
    } catch (err) {
      for (const side of SIDES) {
        controllers[side].abort();
        releaseLater(admitted[side]?.grant);
      }
      throw err;
    }
    const running: RunningBattle = { userId: caller.userId, sides: {} };
    this.#running.set(battle.id, running);
    for (const side of SIDES) {
      const logId = sideLogId(battle.id, side);
      await log.open(logId, anonymousMeta(battle.id, side));
      await admitted[side]!.attach(logId);
      const entry: RunningSide = { controller: controllers[side], reason: null, finished: Promise.resolve() };
      entry.finished = runArenaSide(
        {
          battleId: battle.id,
          userId: caller.userId,
          side,
          logId,
          turn: turns[side],
          grant: admitted[side]!.grant,
          controller: controllers[side],
          abortReason: () => entry.reason ?? (this.#closing ? 'shutdown' : null),
        },
        runnerDeps(this.#o),
      )
        .catch((err: unknown) => {
          this.#o.logger?.error(
            { battleId: battle.id, side, err: (err as Error)?.name },
            'arena runner crashed',
          );
        })
        .finally(() => {
          delete running.sides[side];
          if (!running.sides.a && !running.sides.b) this.#running.delete(battle.id);
        });
      running.sides[side] = entry;
    }
    return view(battle);
  }

  /** The user's battle (anonymous until voted). `not_found` for another user's or an unknown one. */
  async get(userId: string, battleId: string): Promise<ArenaBattleView> {
    return view(await this.#orphansInterrupted(await this.#own(userId, battleId)));
  }

  /**
   * A side's events after `afterId`, live until its `done`; replayed from the saved side when the log no
   * longer holds it. Ownership is checked first.
   */
  async events(
    userId: string,
    battleId: string,
    side: ArenaSide,
    afterId: number,
    signal: AbortSignal,
  ): Promise<AsyncIterable<GenerationEvent> | Iterable<GenerationEvent>> {
    const battle = await this.#own(userId, battleId);
    const live = await this.#o.log.read(sideLogId(battleId, side), afterId, signal);
    if (live) return live;
    const saved = (await this.#orphansInterrupted(battle))[side];
    return savedSideEvents(battleId, side, saved);
  }

  /** Stops one side of the user's battle; a side that already ended is left as it is. */
  async stop(userId: string, battleId: string, side: ArenaSide): Promise<void> {
    await this.#own(userId, battleId);
    const entry = this.#running.get(battleId)?.sides[side];
    if (!entry) {
      // Running on another instance, or ended: the bus reaches the one that runs it, if any.
      await this.#o.stopBus?.publish(sideLogId(battleId, side), userId);
      return;
    }
    entry.reason ??= 'stop';
    entry.controller.abort(entry.reason);
    await entry.finished;
  }

  /** A stop from the bus (`sideLogId`): acts when this instance runs that side for that user. */
  stopLocal(logId: string, userId: string): void {
    const match = /^arena:(.+):(a|b)$/.exec(logId);
    if (!match) return;
    const battle = this.#running.get(match[1] ?? '');
    const entry = battle?.userId === userId ? battle.sides[match[2] as ArenaSide] : undefined;
    if (!entry) return;
    entry.reason ??= 'stop';
    entry.controller.abort(entry.reason);
  }

  /** Records the vote and reveals the models. `conflict` while a side runs, without two answers, or twice. */
  async vote(userId: string, battleId: string, vote: ArenaVote): Promise<ArenaBattleView> {
    const battle = await this.#orphansInterrupted(await this.#own(userId, battleId));
    const blocked = voteBlocked(battle);
    if (blocked === 'streaming')
      throw new ArenaError('conflict', 'Both answers must finish (or be stopped) before you vote.');
    if (blocked === 'no_answer')
      throw new ArenaError('conflict', 'One side gave no answer, so this battle cannot be rated.');
    const result = await this.#o.store.arena.vote(battleId, userId, vote);
    if (result === 'not_found') throw notFound();
    if (result === 'already_voted') throw new ArenaError('conflict', 'This battle already has your vote.');
    return view(await this.#own(userId, battleId));
  }

  /** The instance leaderboard (admins). */
  async leaderboard(): Promise<ArenaLeaderboard> {
    const votes = await this.#o.store.arena.votes();
    return leaderboard(votes, { rounds: this.#o.bootstrapRounds ?? 200 });
  }

  /** For account deletion: ends the user's battles without writes. */
  async cancelUser(userId: string): Promise<void> {
    const sides = [...this.#running.values()]
      .filter((b) => b.userId === userId)
      .flatMap((b) => Object.values(b.sides));
    for (const s of sides) {
      s.reason = 'deleted';
      s.controller.abort('deleted');
    }
    await Promise.allSettled(sides.map((s) => s.finished));
  }

  /** Refuses new battles; running sides are cut after `timeoutMs` (default 10 s) and saved `interrupted`. */
  async shutdown(deadline?: AbortSignal, timeoutMs = 10_000): Promise<void> {
    this.#closing = true;
    const all = () => [...this.#running.values()].flatMap((b) => Object.values(b.sides));
    if (deadline && !deadline.aborted) {
      await Promise.race([
        Promise.allSettled(all().map((s) => s.finished)),
        new Promise((resolve) => deadline.addEventListener('abort', resolve, { once: true })),
      ]);
    }
    const left = all();
    for (const s of left) {
      s.reason ??= 'shutdown';
      s.controller.abort(s.reason);
    }
    await Promise.race([
      Promise.allSettled(left.map((s) => s.finished)),
      delay(timeoutMs, undefined, { ref: false }),
    ]);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  async #drawPair(): Promise<[string, string]> {
    const { models } = await this.#o.gateway.listModels();
    // Chat models only: an embedding model cannot answer.
    const ready = [
      ...new Set(models.filter((m) => m.state === 'ready' && (m.kind ?? 'chat') === 'chat').map((m) => m.id)),
    ];
    if (ready.length < 2) {
      throw new ArenaError(
        'unavailable',
        `The arena needs two chat models ready; this server has ${ready.length === 0 ? 'none' : 'only one'} right now. ` +
          'An admin can add a model (a .gguf file or an upstream) on the Admin page.',
      );
    }
    const pair = drawPair(ready, this.#o.randomInt ?? randomInt);
    if (!pair) throw new Error('unreachable: two ready models were counted');
    return pair;
  }

  async #own(userId: string, battleId: string): Promise<ArenaBattleRecord> {
    const battle = await this.#o.store.arena.get(battleId, userId);
    if (!battle) throw notFound();
    return battle;
  }

  /**
   * A side still `streaming` in the store that no runner here holds and no event log knows was cut by a
   * restart: it reads as `interrupted`. (With several instances the event log is shared, so a side
   * running on another instance still has its log.)
   */
  async #orphansInterrupted(battle: ArenaBattleRecord): Promise<ArenaBattleRecord> {
    const runningHere = this.#running.get(battle.id);
    const fix = async (side: ArenaSide, s: ArenaSideRecord): Promise<ArenaSideRecord> => {
      if (s.status !== 'streaming' || runningHere?.sides[side]) return s;
      // An aborted signal: only whether the log holds the side, nothing is followed.
      const live = await this.#o.log.read(sideLogId(battle.id, side), 0, AbortSignal.abort());
      return live ? s : { ...s, status: 'interrupted' };
    };
    return { ...battle, a: await fix('a', battle.a), b: await fix('b', battle.b) };
  }
}

function notFound(): ArenaError {
  return new ArenaError('not_found', 'No such battle.');
}

function releaseLater(grant: Promise<AdmissionGrant> | undefined): void {
  void grant?.then((g) => g.release()).catch(() => {});
}
