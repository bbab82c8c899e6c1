/**
 * Plugs capacity into the inference gateway's `acquire` seam, the one door both the web chat turn and
 * the `/v1` completions go through: the plan's daily quota first (429 `quota_exceeded`), then admission
 * control (queue with positions, per-plan concurrency, 429/503 shedding). Quota counters are bumped by
 * wrapping the usage ledger, so every ledger row (either surface) also counts against the daily meter.
 */

import type { UsageStore } from '../../store/types.ts';
import type { AcquireHook } from '../inference-gateway.ts';
import type { PlanCatalog } from '../quotas/plans.ts';
import type { QuotaService } from '../quotas/quota-service.ts';
import type { AdmissionController } from './controller.ts';

export interface CapacityHookParts {
  plans: PlanCatalog;
  quotas: QuotaService;
  admission: AdmissionController;
}

/** An `AcquireHook` that checks the plan's quota, then waits for an admission ticket. */
export function capacityAcquireHook(cap: CapacityHookParts): AcquireHook {
  return async (subject, wait) => {
    const plan = cap.plans.resolve(subject.plan);
    await cap.quotas.check(subject.userId, plan, { reasoning: subject.reasoning !== false });
    const ticket = await cap.admission.admit({
      userId: subject.userId,
      plan,
      signal: wait.signal,
      onQueued: (u) => wait.onQueued?.(u.position, u.etaMs),
    });
    return { release: () => ticket.release() };
  };
}

/**
 * The usage ledger, with every recorded entry also added to the quota counters (after the row is
 * written). A counter failure (e.g. Redis away) is reported and swallowed: the ledger stays the truth
 * and the counters resync from it.
 */
export function quotaRecordingUsage(
  usage: UsageStore,
  quotas: QuotaService,
  onError?: (err: unknown) => void,
): UsageStore {
  return {
    totals: (userId, since) => usage.totals(userId, since),
    async record(input) {
      const entry = await usage.record(input);
      try {
        await quotas.record(input.userId, {
          tokens: input.promptTokens + input.completionTokens,
          reasoning: input.reasoning,
        });
      } catch (err) {
        onError?.(err);
      }
      return entry;
    },
  };
}
