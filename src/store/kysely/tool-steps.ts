/**
 * An assistant message's tool steps (calls, arguments, results): one encrypted JSON array per message in
 * `messages.tool_steps` (migration 0003), bound by AAD to its own column label so a content or reasoning
 * ciphertext cannot be swapped in. `null` in the column (every row written before) reads as `[]`, and an
 * empty list is stored as `null`.
 */
import type { UserKeys } from '../crypto/envelope.ts';
import { StoreValidationError } from '../errors.ts';
import type { ToolStep } from '../types.ts';
import { count, MAX_SECRET_CHARS, secret } from './validate.ts';

export const toolStepsContext = (id: string, userId: string) => ({
  table: 'messages',
  column: 'tool_steps',
  rowId: id,
  userId,
});

/** Steps beyond this are refused (a runaway loop, not a turn). */
export const MAX_TOOL_STEPS = 1000;

function millis(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new StoreValidationError(field, 'must be a non-negative number');
  }
  return value;
}

/** A checked copy holding only the known fields (so nothing unexpected is stored). */
export function checkToolSteps(steps: readonly ToolStep[]): ToolStep[] {
  if (!Array.isArray(steps)) throw new StoreValidationError('toolSteps', 'must be an array');
  if (steps.length > MAX_TOOL_STEPS) {
    throw new StoreValidationError('toolSteps', `must hold at most ${MAX_TOOL_STEPS} steps`);
  }
  return steps.map((s, i) => {
    const at = `toolSteps[${i}]`;
    if (typeof s !== 'object' || s === null) throw new StoreValidationError(at, 'must be an object');
    const step: ToolStep = {
      id: secret(`${at}.id`, s.id),
      name: secret(`${at}.name`, s.name),
      arguments: secret(`${at}.arguments`, s.arguments),
      reasoningOffset: count(`${at}.reasoningOffset`, s.reasoningOffset),
      at: millis(`${at}.at`, s.at),
    };
    if (s.result !== undefined) {
      const r = s.result;
      if (typeof r !== 'object' || r === null) {
        throw new StoreValidationError(`${at}.result`, 'must be an object');
      }
      if (typeof r.isError !== 'boolean') {
        throw new StoreValidationError(`${at}.result.isError`, 'must be a boolean');
      }
      step.result = {
        content: secret(`${at}.result.content`, r.content),
        isError: r.isError,
        ms: millis(`${at}.result.ms`, r.ms),
      };
    }
    return step;
  });
}

/** The column value for `steps`: `null` when empty, else the encrypted JSON array. */
export function sealToolSteps(
  keys: UserKeys,
  id: string,
  userId: string,
  steps: readonly ToolStep[] | undefined,
): Buffer | null {
  const checked = checkToolSteps(steps ?? []);
  if (checked.length === 0) return null;
  const json = JSON.stringify(checked);
  if (json.length > MAX_SECRET_CHARS) {
    throw new StoreValidationError('toolSteps', `must be at most ${MAX_SECRET_CHARS} characters as JSON`);
  }
  return keys.encrypt(toolStepsContext(id, userId), json);
}

export function openToolSteps(keys: UserKeys, id: string, userId: string, sealed: Buffer | null): ToolStep[] {
  if (sealed === null || sealed === undefined) return [];
  return JSON.parse(keys.decrypt(toolStepsContext(id, userId), sealed)) as ToolStep[];
}
