/**
 * Request schemas and response types for accounts, sessions, API keys and admin (docs/web-api.md).
 * Schemas only: nothing here has effects.
 */
import { z } from 'zod';
import { PASSWORD_MAX } from './password-strength.ts';

/** Longest email accepted (RFC 5321 path limit). */
export const EMAIL_MAX = 254;
export { PASSWORD_MAX, PASSWORD_MIN } from './password-strength.ts';
export const DISPLAY_NAME_MAX = 100;
export const KEY_NAME_MAX = 100;

const password = z.string().max(PASSWORD_MAX * 4);
const email = z.string().max(EMAIL_MAX * 4);

export const signupRequestSchema = z.strictObject({
  email,
  password,
  inviteCode: z.string().max(200).optional(),
  /** The code printed at first start; needed by the first sign-up only (`GET /api/auth/setup`). */
  setupCode: z.string().max(100).optional(),
  pow: z.strictObject({ challenge: z.string().max(500), nonce: z.string().max(200) }).optional(),
});
export type SignupRequest = z.infer<typeof signupRequestSchema>;

export const loginRequestSchema = z.strictObject({
  email,
  password,
  /** Asked for (428 `pow_required`) only when the account has had many failed logins. */
  pow: z.strictObject({ challenge: z.string().max(500), nonce: z.string().max(200) }).optional(),
});
export type LoginRequest = z.infer<typeof loginRequestSchema>;

export const patchMeRequestSchema = z.strictObject({
  displayName: z.string().max(DISPLAY_NAME_MAX).nullable().optional(),
});
export type PatchMeRequest = z.infer<typeof patchMeRequestSchema>;

export const changePasswordRequestSchema = z.strictObject({
  currentPassword: password,
  newPassword: password,
  /** Also revoke every API key of the account (default false). */
  revokeApiKeys: z.boolean().optional(),
});
export type ChangePasswordRequest = z.infer<typeof changePasswordRequestSchema>;

export const deleteAccountRequestSchema = z.strictObject({ password });
export type DeleteAccountRequest = z.infer<typeof deleteAccountRequestSchema>;

export const createKeyRequestSchema = z.strictObject({
  name: z.string().trim().min(1).max(KEY_NAME_MAX),
});
export type CreateKeyRequest = z.infer<typeof createKeyRequestSchema>;

export const adminPatchUserRequestSchema = z.strictObject({
  isAdmin: z.boolean().optional(),
  disabled: z.boolean().optional(),
  plan: z.string().min(1).max(64).optional(),
});
export type AdminPatchUserRequest = z.infer<typeof adminPatchUserRequestSchema>;

export const createInviteRequestSchema = z.strictObject({
  /** Hours until the code expires; default 7 days. */
  expiresInHours: z
    .int()
    .min(1)
    .max(24 * 365)
    .optional(),
});
export type CreateInviteRequest = z.infer<typeof createInviteRequestSchema>;

/** `user` in every answer that returns one. Dates are ISO 8601 strings. */
export interface ApiUser {
  id: string;
  email: string;
  displayName: string | null;
  isAdmin: boolean;
  plan: string;
  createdAt: string;
}

export interface ApiSession {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  userAgent: string | null;
  current: boolean;
}

export interface ApiKeySummary {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface ApiKeyCreated extends ApiKeySummary {
  /** The whole key; shown once. */
  key: string;
}

export interface ApiAdminUser {
  id: string;
  email: string;
  isAdmin: boolean;
  disabled: boolean;
  plan: string;
  createdAt: string;
}

/** `GET /api/admin/users`: the users, and the plans configured (what a user's plan may be set to). */
export interface ApiAdminUserList {
  users: ApiAdminUser[];
  plans: string[];
}

/** `GET /api/auth/setup`: what the sign-up page must ask for. */
export interface ApiSetupInfo {
  /** No account exists yet: the first sign-up needs the setup code `ponder serve` printed. */
  setupRequired: boolean;
  /** `invite`: an invite code is required; `closed`: nobody can sign up (the page says so). */
  signupMode: 'open' | 'invite' | 'closed';
}

export interface ApiAdminStatus {
  slotsBusy: number;
  slotsTotal: number;
  queueDepth: number;
  generationsRunning: number;
  uptimeSeconds: number;
}
