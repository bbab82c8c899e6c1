import { readFileSync } from 'node:fs';
import { PASSWORD_MAX, PASSWORD_MIN } from '../../api/auth.ts';

let common: Set<string> | undefined;

function commonPasswords(): Set<string> {
  if (!common) {
    const text = readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8');
    common = new Set(
      text
        .split('\n')
        .map((line) => line.trim().toLowerCase())
        .filter((line) => line !== '' && !line.startsWith('#')),
    );
  }
  return common;
}

/** Why a new password is refused, as a message for the user; `null` when it is acceptable. */
export function passwordProblem(password: string, email?: string): string | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN) return `The password must have at least ${PASSWORD_MIN} characters.`;
  if (length > PASSWORD_MAX) return `The password must have at most ${PASSWORD_MAX} characters.`;
  if (password.includes('\0')) return 'The password must not contain NUL characters.';
  const lower = password.toLowerCase();
  // "password123", "dragon2024!": a common password with digits or symbols appended is just as guessable.
  const stem = lower.replace(/[\d\W_]+$/u, '');
  if (commonPasswords().has(lower) || (stem.length >= 4 && commonPasswords().has(stem)))
    return 'This password is too common; please choose another.';
  if (/^(.)\1*$/u.test(password)) return 'This password is too easy to guess; please choose another.';
  if (email && lower === email.toLowerCase()) return 'The password must not be your email address.';
  return null;
}
