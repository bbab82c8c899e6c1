/** Per-plan document limits (issue 13), resolved through the plan catalogue with these defaults. */
import { DEFAULT_PARSE_LIMITS } from '../../inference/documents/index.ts';
import type { Plan } from '../quotas/plans.ts';

export interface DocumentLimits {
  maxFileBytes: number;
  maxPages: number;
  maxFiles: number;
  maxStorageBytes: number;
}

/** A plan's defaults: files as large and as long as the parser reads at most. */
export const DEFAULT_DOCUMENT_LIMITS: DocumentLimits = {
  maxFileBytes: DEFAULT_PARSE_LIMITS.maxBytes,
  maxPages: DEFAULT_PARSE_LIMITS.maxPages,
  maxFiles: 200,
  maxStorageBytes: 500 * 1024 * 1024,
};

export function documentLimits(plan: Plan): DocumentLimits {
  return { ...DEFAULT_DOCUMENT_LIMITS, ...definedOnly(plan.documents ?? {}) };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
