/**
 * Daily plan quotas (reasoning messages, tokens), counted from the usage ledger with an optional
 * fast counter cache (in-process or Redis). Days are UTC.
 *
 * Wiring (server/chat turn):
 * ```ts
 * const plan = plans.resolve(user.plan);
 * await quotas.check(user.id, plan, { reasoning: thinking.enabled });   // throws AdmissionError 429 quota_exceeded
 * const budget = quotas.clampThinkingBudget(plan, requestedBudget);
 * ... admission + generation; store.usage.record(...) ...
 * await quotas.record(user.id, { tokens, reasoning });                  // after the ledger write
 * GET /api/usage → await quotas.usage(user.id, plan)
 * ```
 */
import { type Clock, systemClock } from '../admission/clock.ts';
import { AdmissionError, toRetryAfterSeconds } from '../admission/errors.ts';
import type { CounterStore } from '../rate-limit/types.ts';
import type { Plan } from './plans.ts';

/** What the usage ledger answers; `Store['usage']` (`UsageStore.totals`) implements it. */
export interface UsageSource {
  /** Totals of ledger entries with `createdAt >= since`. */
  totals(userId: string, since: Date): Promise<{ reasoningMessages: number; tokens: number }>;
}

export interface UsageMeter {
  plan: string;
  reasoningMessages: { used: number; limit: number };
  tokens: { used: number; limit: number };
  /** Next UTC midnight, ISO 8601. */
  resetsAt: string;
}

export interface QuotaServiceOptions {
  usage: UsageSource;
  /** Counter cache shared by all processes (Redis) or this one; without it every check reads the ledger. */
  counters?: CounterStore;
  clock?: Clock;
  /**
   * Cached counters are re-read from the ledger at least this often, so a missed `record` (crash between
   * ledger write and counter update) or a double count only lasts this long. Default 300 000 ms.
   */
  resyncMs?: number;
  /** Prefix of counter keys. Default `quota:`. */
  keyPrefix?: string;
}

interface Totals {
  reasoningMessages: number;
  tokens: number;
}

const DAY_MS = 86_400_000;

export function utcDayStart(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

export class QuotaService {
  readonly #usage: UsageSource;
  readonly #counters: CounterStore | undefined;
  readonly #clock: Clock;
  readonly #resyncMs: number;
  readonly #prefix: string;

  constructor(opts: QuotaServiceOptions) {
    this.#usage = opts.usage;
    this.#counters = opts.counters;
    this.#clock = opts.clock ?? systemClock;
    this.#resyncMs = Math.max(1000, opts.resyncMs ?? 300_000);
    this.#prefix = opts.keyPrefix ?? 'quota:';
  }

  /**
   * Refuses a new message when a daily limit is used up: 429 `quota_exceeded` with `details.limit`
   * (`reasoning_messages` only matters for reasoning messages; `tokens` for all) and Retry-After until
   * the UTC day ends.
   */
  async check(userId: string, plan: Plan, opts: { reasoning: boolean }): Promise<void> {
    const now = this.#clock.now();
    const used = await this.#totals(userId, now);
    const resetsAt = utcDayStart(now) + DAY_MS;
    const fail = (limit: 'reasoning_messages' | 'tokens', value: number, max: number) =>
      new AdmissionError(
        'quota_exceeded',
        toRetryAfterSeconds(resetsAt - now, 86_400),
        { limit, used: value, max, resetsAt: new Date(resetsAt).toISOString() },
        limit === 'reasoning_messages'
          ? `Daily limit of ${max} reasoning messages for the ${plan.name} plan reached; it resets at midnight UTC. Messages without thinking still work.`
          : `Daily limit of ${max} tokens for the ${plan.name} plan reached; it resets at midnight UTC.`,
      );
    if (used.tokens >= plan.tokensPerDay) throw fail('tokens', used.tokens, plan.tokensPerDay);
    if (opts.reasoning && used.reasoningMessages >= plan.reasoningMessagesPerDay) {
      throw fail('reasoning_messages', used.reasoningMessages, plan.reasoningMessagesPerDay);
    }
  }

  /** The user's meter for today. */
  async usage(userId: string, plan: Plan): Promise<UsageMeter> {
    const now = this.#clock.now();
    const used = await this.#totals(userId, now);
    return {
      plan: plan.name,
      reasoningMessages: { used: used.reasoningMessages, limit: plan.reasoningMessagesPerDay },
      tokens: { used: used.tokens, limit: plan.tokensPerDay },
      resetsAt: new Date(utcDayStart(now) + DAY_MS).toISOString(),
    };
  }

  /**
   * Adds a finished message to the cached counters. Call after the ledger row is written; without a
   * cache it does nothing (the ledger is read directly). Counters not cached yet are left alone: the
   * next check seeds them from the ledger, which already has this message.
   */
  async record(userId: string, usage: { tokens: number; reasoning: boolean }): Promise<void> {
    if (!this.#counters) return;
    const day = utcDayStart(this.#clock.now());
    const tokens = Math.max(0, Math.floor(usage.tokens));
    await Promise.all([
      tokens > 0 ? this.#counters.incrementExisting(this.#key(userId, day, 'tokens'), tokens) : null,
      usage.reasoning ? this.#counters.incrementExisting(this.#key(userId, day, 'reasoning'), 1) : null,
    ]);
  }

  /** The thinking budget to use: the request's (or the plan's maximum when absent), at most the plan's maximum, at least 1. */
  clampThinkingBudget(plan: Plan, requested?: number | null): number {
    if (requested === undefined || requested === null || !Number.isFinite(requested))
      return plan.maxThinkingBudget;
    return Math.max(1, Math.min(plan.maxThinkingBudget, Math.floor(requested)));
  }

  #key(userId: string, day: number, what: 'tokens' | 'reasoning'): string {
    return `${this.#prefix}${userId}:${new Date(day).toISOString().slice(0, 10)}:${what}`;
  }

  async #totals(userId: string, now: number): Promise<Totals> {
    const day = utcDayStart(now);
    const counters = this.#counters;
    if (!counters) return this.#usage.totals(userId, new Date(day));
    const tokensKey = this.#key(userId, day, 'tokens');
    const reasoningKey = this.#key(userId, day, 'reasoning');
    const [tokens, reasoning] = await Promise.all([counters.get(tokensKey), counters.get(reasoningKey)]);
    if (tokens !== null && reasoning !== null) return { tokens, reasoningMessages: reasoning };
    const fromLedger = await this.#usage.totals(userId, new Date(day));
    // Expire at the resync interval or the day's end, whichever comes first; the key holds the date anyway.
    const ttl = Math.max(1000, Math.min(this.#resyncMs, day + DAY_MS - now + 60_000));
    const [t, r] = await Promise.all([
      counters.seed(tokensKey, fromLedger.tokens, ttl),
      counters.seed(reasoningKey, fromLedger.reasoningMessages, ttl),
    ]);
    return { tokens: t, reasoningMessages: r };
  }
}
