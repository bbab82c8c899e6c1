/**
 * Device cookies (OWASP "Slow brute force" / device cookies): after a successful login the browser
 * gets `d1.<issuedAt>.<nonce>.<hmac>`, the HMAC binding the nonce to that account. A later login for the
 * same account presenting it is counted under its own per-device key, so a stranger's failures against
 * the account (per-account ceiling, the shared IP) do not lock the owner's known browser out.
 * Stateless: the server keeps only the HMAC secret (the same on every instance).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** How long a device token is honoured after it was issued (it is re-issued at every login). */
export const DEVICE_TOKEN_TTL_MS = 365 * 24 * 60 * 60_000;

const TOKEN = /^d1\.([0-9a-z]{1,12})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

function mac(secret: Uint8Array, accountKey: string, body: string): Buffer {
  return createHmac('sha256', secret).update(`ponder device v1\0${accountKey}\0${body}`).digest();
}

/** A fresh token for the account (`accountKey`: a stable digest of the normalised email). */
export function issueDeviceToken(secret: Uint8Array, accountKey: string, now: number): string {
  const body = `d1.${now.toString(36)}.${randomBytes(16).toString('base64url')}`;
  return `${body}.${mac(secret, accountKey, body).toString('base64url')}`;
}

/** The device's id when `token` is a genuine, unexpired token for this account; null otherwise. */
export function deviceIdOf(
  secret: Uint8Array,
  accountKey: string,
  token: string | undefined,
  now: number,
): string | null {
  const m = token ? TOKEN.exec(token) : null;
  if (!m || !token) return null;
  const [, issued36, nonce, given] = m as unknown as [string, string, string, string];
  const expected = mac(secret, accountKey, token.slice(0, token.length - given.length - 1));
  const presented = Buffer.from(given, 'base64url');
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return null;
  const issuedAt = Number.parseInt(issued36, 36);
  if (!(issuedAt <= now + 60_000 && now - issuedAt < DEVICE_TOKEN_TTL_MS)) return null;
  return nonce;
}
