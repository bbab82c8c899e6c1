import { randomBytes } from 'node:crypto';

/**
 * A fresh random id: 16 bytes as base64url (22 URL-safe chars). Never sequential, never guessable, and
 * never starting with `-`, so it can be typed as a CLI argument (`ponder key revoke <id>`) without
 * being read as an option (one id in 64 did; older ones still work after `--`).
 */
export function newId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** True for strings shaped like `newId()` output; used to reject junk ids before they reach SQL. */
export function isId(value: string): boolean {
  return /^[A-Za-z0-9_-]{22}$/.test(value);
}
