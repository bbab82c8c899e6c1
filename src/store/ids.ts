import { randomBytes } from 'node:crypto';

/** A fresh random id: 16 bytes as base64url (22 URL-safe chars). Never sequential, never guessable. */
export function newId(): string {
  return randomBytes(16).toString('base64url');
}

/** True for strings shaped like `newId()` output; used to reject junk ids before they reach SQL. */
export function isId(value: string): boolean {
  return /^[A-Za-z0-9_-]{22}$/.test(value);
}
