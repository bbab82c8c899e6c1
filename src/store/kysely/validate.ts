/**
 * Input checks before SQL. Plaintext columns cannot hold NUL bytes in PostgreSQL (and should not in
 * SQLite either), so they are rejected with a typed error instead of a driver crash. Encrypted fields
 * are bytes and take any string.
 */
import { StoreValidationError } from '../errors.ts';
import { isId } from '../ids.ts';

/** Encrypted text fields (content, reasoning, titles): generous, but bounded. */
export const MAX_SECRET_CHARS = 4_000_000;

export function plain(field: string, value: string, max: number, allowEmpty = true): string {
  if (typeof value !== 'string') throw new StoreValidationError(field, 'must be a string');
  if (value.includes('\u0000')) throw new StoreValidationError(field, 'must not contain NUL bytes');
  if (value.length > max) throw new StoreValidationError(field, `must be at most ${max} characters`);
  if (!allowEmpty && value.trim() === '') throw new StoreValidationError(field, 'must not be empty');
  return value;
}

export function plainOrNull(field: string, value: string | null | undefined, max: number): string | null {
  return value === null || value === undefined ? null : plain(field, value, max);
}

export function secret(field: string, value: string): string {
  if (typeof value !== 'string') throw new StoreValidationError(field, 'must be a string');
  if (value.length > MAX_SECRET_CHARS) {
    throw new StoreValidationError(field, `must be at most ${MAX_SECRET_CHARS} characters`);
  }
  return value;
}

/** Trimmed, NFC, lowercase; must look like an address. */
export function normaliseEmail(email: string): string {
  const value = plain('email', email, 320).trim().normalize('NFC').toLowerCase();
  if (!/^[^\s@]+@[^\s@]+$/.test(value)) throw new StoreValidationError('email', 'is not an email address');
  return value;
}

export function count(field: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new StoreValidationError(field, 'must be a non-negative integer');
  }
  return value;
}

export function countOrNull(field: string, value: number | null | undefined): number | null {
  return value === null || value === undefined ? null : count(field, value);
}

export function date(field: string, value: Date): number {
  const ms = value instanceof Date ? value.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) throw new StoreValidationError(field, 'must be a valid date');
  return ms;
}

/** Lookup keys (hashes, ids): anything a caller could pass that cannot possibly match is simply "not found". */
export function isLookupKey(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 512 && !value.includes('\u0000');
}

export function isRowId(value: unknown): value is string {
  return typeof value === 'string' && isId(value);
}

/** Diagnostic text from upstreams: keep it, but never let it break a write. */
export function diagnostic(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return String(value)
    .replace(/\u0000/g, '\uFFFD')
    .slice(0, 4000);
}

/** A page size from caller input: non-numbers (NaN, Infinity, strings) fall back to the default. */
export function clampLimit(value: unknown, fallback: number, max: number): number {
  const n = typeof value === 'number' && Number.isFinite(value) ? Math.trunc(value) : fallback;
  return Math.min(Math.max(1, n), max);
}
