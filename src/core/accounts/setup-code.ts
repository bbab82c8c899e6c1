/**
 * The one-time setup code that the first sign-up (the one that becomes admin) must present. Without
 * it, a page on another site reaching a fresh local instance (DNS rebinding), or anyone racing the
 * owner of a fresh public server, could claim the admin account.
 *
 * The code is derived from the master key rather than stored: it survives restarts, every instance
 * sharing the key (scale-out) prints and accepts the same code, and it is worthless once an admin
 * exists, since only the very first account needs it. `ponder user create --admin` bypasses it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const ALPHABET = 'ABCDEFGHJKMNPQRSTVWXYZ23456789'; // no 0/O, 1/I/L, U: easy to read off a terminal

/** `XXXXX-XXXXX` (about 49 bits), deterministic for a given master key. */
export function deriveSetupCode(masterKeyMaterial: string | Uint8Array): string {
  const digest = createHmac('sha256', masterKeyMaterial).update('ponder setup code v1').digest();
  let code = '';
  for (let i = 0; i < 10; i++) code += ALPHABET[(digest[i] as number) % ALPHABET.length];
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

/** Case, spaces and dashes do not matter when typing the code back. */
export function normaliseSetupCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '');
}

/** Constant-time comparison of a typed code with the expected one. */
export function setupCodeMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(normaliseSetupCode(expected));
  const b = Buffer.from(normaliseSetupCode(given));
  return a.length === b.length && timingSafeEqual(a, b);
}
