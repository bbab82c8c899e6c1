import { EMAIL_MAX } from '../../api/auth.ts';

/** Lower-cased, trimmed, NFC; the one form stored and compared. */
export function normaliseEmail(raw: string): string {
  return raw.normalize('NFC').trim().toLowerCase();
}

// Deliberately simple: one "@", no whitespace or control characters, a dot in the domain.
const EMAIL_RE = /^[^\s@\u0000-\u001f\u007f]+@[^\s@\u0000-\u001f\u007f.]+(\.[^\s@\u0000-\u001f\u007f.]+)+$/u;

export function isValidEmail(email: string): boolean {
  return email.length <= EMAIL_MAX && EMAIL_RE.test(email);
}
