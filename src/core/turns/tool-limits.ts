/**
 * Per-plan daily limits on Ponder's tools, counted like tokens: web searches (`web_search`) and all other
 * tool calls each have their own allowance per UTC day (`plans.*.searchesPerDay`, `toolCallsPerDay`).
 * Counters live in the shared counter store (in-process, or Redis with several instances); a call over
 * the limit is not run and the model reads why.
 */
import type { Clock } from '../admission/clock.ts';
import { systemClock } from '../admission/clock.ts';
import type { PlanCatalog } from '../quotas/plans.ts';
import { utcDayStart } from '../quotas/quota-service.ts';
import type { CounterStore } from '../rate-limit/types.ts';

const DAY_MS = 86_400_000;

export type ToolUseKind = 'search' | 'tool';

export function toolUseKind(toolName: string): ToolUseKind {
  return toolName === 'web_search' ? 'search' : 'tool';
}

export class ToolLimits {
  readonly #plans: PlanCatalog;
  readonly #counters: CounterStore;
  readonly #clock: Clock;

  constructor(options: { plans: PlanCatalog; counters: CounterStore; clock?: Clock }) {
    this.#plans = options.plans;
    this.#counters = options.counters;
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Takes one use of `kind` for the user today; `null` when allowed, else the sentence the model reads.
   * A refused use is given back, so the count stays at the limit.
   */
  async take(userId: string, planName: string, kind: ToolUseKind): Promise<string | null> {
    const plan = this.#plans.resolve(planName);
    const limit = kind === 'search' ? (plan.searchesPerDay ?? 50) : (plan.toolCallsPerDay ?? 200);
    const now = this.#clock.now();
    const day = utcDayStart(now);
    const key = `tools:${kind}:${userId}:${day}`;
    const used = await this.#counters.increment(key, 1, day + DAY_MS - now + 60_000);
    if (used <= limit) return null;
    await this.#counters.incrementExisting(key, -1);
    const what = kind === 'search' ? 'web searches' : 'tool calls';
    return `error: the daily limit of ${limit} ${what} on the ${plan.name} plan is reached; it resets at midnight UTC`;
  }
}
