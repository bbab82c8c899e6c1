import type { z } from 'zod';
import { HttpError } from './errors.ts';

/**
 * Parses a body, query or params object with a zod schema; failures become 400 `invalid_request`
 * naming the first offending field (never echoing its value).
 */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what = 'body'): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path.map(String).join('.') ?? '';
  let field = path || what;
  let reason = issue?.message ?? 'invalid';
  if (issue?.code === 'unrecognized_keys') {
    field = issue.keys.map((k) => (path ? `${path}.${k}` : k)).join(', ');
    reason = 'unknown field';
  } else if (issue?.code === 'invalid_type' && value === undefined && path === '') {
    reason = 'expected a JSON object';
  }
  return throwInvalid(field, reason);
}

function throwInvalid(field: string, reason: string): never {
  const safeField = field.replace(/[^\w.,\s-]/g, '?').slice(0, 100);
  throw new HttpError(400, 'invalid_request', `${safeField}: ${reason}`, { details: { field: safeField } });
}
