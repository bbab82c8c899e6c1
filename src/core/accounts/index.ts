/** Public API of the accounts use cases (sign-up, login, sessions, API keys, admin). */
export { Accounts } from './accounts.ts';
export { Admin, INVITE_TTL_MS } from './admin.ts';
export { type ApiKeyPrincipal, ApiKeys, authenticateApiKey, type CreatedApiKey } from './api-keys.ts';
export { type AuditEvent, audit } from './audit.ts';
export { DEVICE_TOKEN_TTL_MS } from './device-token.ts';
export { isValidEmail, normaliseEmail } from './email.ts';
export { AccountError, type AccountErrorCode } from './errors.ts';
export { AccountHooks, type UserDeletedListener } from './hooks.ts';
export type { LoginPow } from './login-guard.ts';
export {
  type LoginThrottle,
  MemoryLoginThrottle,
  type Reservation,
  type ThrottleEntry,
} from './login-throttle.ts';
export { ARGON2_OPTIONS, PasswordHasher, type PasswordHasherOptions } from './password-hasher.ts';
export { passwordProblem } from './password-policy.ts';
export {
  MemoryRateLimiter,
  type RateLimiter,
  type RateLimitRule,
  type RateLimitState,
} from './rate-limiter.ts';
export { Sessions } from './sessions.ts';
export { deriveSetupCode, normaliseSetupCode, setupCodeMatches } from './setup-code.ts';
export { SharedRateLimiter } from './shared-rate-limiter.ts';
export {
  type AccountsDeps,
  type AccountUser,
  type ClientInfo,
  DEFAULT_THROTTLE,
  type LoginClient,
  SESSION_TTL_MS,
  type SessionLogin,
  type SignupMode,
  type ThrottleRules,
  toAccountUser,
} from './types.ts';
