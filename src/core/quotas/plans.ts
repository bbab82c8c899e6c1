/** Plans from config (`plans`, `defaultPlan`). */
import type { PlanConfig } from '../../config/schema.ts';

export interface Plan extends PlanConfig {
  name: string;
}

export class PlanCatalog {
  readonly #plans: ReadonlyMap<string, Plan>;
  readonly defaultPlan: Plan;

  /** Throws a `RangeError` when `defaultPlan` is not one of `plans` (a config mistake, caught at start-up). */
  constructor(plans: Record<string, PlanConfig>, defaultPlan: string) {
    this.#plans = new Map(Object.entries(plans).map(([name, p]) => [name, { ...p, name }]));
    const d = this.#plans.get(defaultPlan);
    if (!d) {
      throw new RangeError(
        `defaultPlan "${defaultPlan}" is not a configured plan (have: ${[...this.#plans.keys()].join(', ') || 'none'})`,
      );
    }
    this.defaultPlan = d;
  }

  /** The named plan; the default for a missing or unknown name (e.g. a plan removed from config). */
  resolve(name: string | null | undefined): Plan {
    return (name ? this.#plans.get(name) : undefined) ?? this.defaultPlan;
  }

  has(name: string): boolean {
    return this.#plans.has(name);
  }

  list(): Plan[] {
    return [...this.#plans.values()];
  }
}
