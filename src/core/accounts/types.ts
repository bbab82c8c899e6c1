import type { SessionRecord, Store, StoreLogger, UserRecord } from '../../store/types.ts';
import type { AccountHooks } from './hooks.ts';
import type { LoginPow } from './login-guard.ts';
import type { LoginThrottle } from './login-throttle.ts';
import type { PasswordHasher } from './password-hasher.ts';
import type { RateLimiter, RateLimitRule } from './rate-limiter.ts';

/** A user as the rest of the app sees it: the stored record without the password hash. */
export type AccountUser = Omit<UserRecord, 'passwordHash'>;

export function toAccountUser(record: UserRecord): AccountUser {
  const { passwordHash: _omit, ...user } = record;
  return user;
}

export type SignupMode = 'open' | 'invite' | 'closed';

export interface ThrottleRules {
  /**
   * Failed logins per (account, client IP), per (account, known device) and per account re-check
   * (password change, deletion); a flat 429 beyond it. Default 10 / 15 min.
   */
  loginPerAccount: RateLimitRule;
  /**
   * Failed logins per account from clients without its device cookie, whatever their IP. Beyond it
   * such logins need a solved proof of work (428 `pow_required`) instead of being locked out; known
   * devices are not counted here and never asked. Default 100 / 15 min.
   */
  loginAccountCeiling: RateLimitRule;
  /** Failed logins per client IP. Default 100 / 15 min. */
  loginPerIp: RateLimitRule;
  /** Sign-up attempts per client IP. Default 20 / hour. */
  signupPerIp: RateLimitRule;
}

export const DEFAULT_THROTTLE: ThrottleRules = {
  loginPerAccount: { limit: 10, windowMs: 15 * 60_000 },
  loginAccountCeiling: { limit: 100, windowMs: 15 * 60_000 },
  loginPerIp: { limit: 100, windowMs: 15 * 60_000 },
  signupPerIp: { limit: 20, windowMs: 60 * 60_000 },
};

export interface AccountsDeps {
  store: Store;
  hasher: PasswordHasher;
  limiter: RateLimiter;
  /** Login attempt counters (reserved before the password is checked). Default: in-process. */
  loginThrottle?: LoginThrottle;
  /** Proof of work asked of logins past `loginAccountCeiling`. Default: an in-process gate. */
  loginPow?: LoginPow;
  /** HMAC key of device cookies, the same on every instance. Default: random per process. */
  deviceSecret?: Uint8Array;
  hooks: AccountHooks;
  signupMode: SignupMode;
  /**
   * The code the first web sign-up (the future admin) must bring (`setup-code.ts`). Undefined: none
   * asked (an app built without one, e.g. core tests).
   */
  setupCode?: string | undefined;
  /** Plan given to new accounts. */
  defaultPlan: string;
  /** Plan names an admin may assign. */
  plans: readonly string[];
  throttle?: Partial<ThrottleRules>;
  logger?: StoreLogger;
  now?: () => Date;
}

/** Where a request came from, for throttling and the audit log. */
export interface ClientInfo {
  ip: string | null;
  userAgent?: string | null;
}

/** What a login request may bring besides the credentials. */
export interface LoginClient extends ClientInfo {
  /** The device cookie this browser got at its last successful login, if any. */
  deviceToken?: string | undefined;
  /** A solved proof-of-work challenge (asked for with 428 `pow_required`). */
  pow?: { challenge: string; nonce: string } | undefined;
}

export interface SessionLogin {
  user: AccountUser;
  /** The cookie value; shown to the client once, never stored. */
  token: string;
  session: SessionRecord;
}

/** Sliding expiry of sessions. */
export const SESSION_TTL_MS = 30 * 24 * 60 * 60_000;
/** `lastSeenAt` (and the sliding expiry) is written at most this often per session. */
export const SESSION_TOUCH_INTERVAL_MS = 5 * 60_000;
