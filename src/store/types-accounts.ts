/**
 * Accounts' part of the store contract: users, their sessions and API keys, invites, the usage ledger
 * and the audit log. Types only; conventions in types.ts.
 */

// ---------------------------------------------------------------- records

export interface UserRecord {
  id: string;
  /** Normalised: trimmed, lowercase. */
  email: string;
  passwordHash: string;
  displayName: string | null;
  isAdmin: boolean;
  disabled: boolean;
  /** Plan name; plans themselves come from configuration. */
  plan: string;
  createdAt: Date;
}

export interface SessionRecord {
  id: string;
  userId: string;
  /** SHA-256 of the session secret (hex or base64url, as the caller chooses). Never the secret. */
  tokenHash: string;
  userAgent: string | null;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
}

export interface ApiKeyRecord {
  id: string;
  userId: string;
  name: string;
  /** The first characters of the key, shown in listings so a user can recognise it. */
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface UsageEntry {
  id: string;
  userId: string;
  apiKeyId: string | null;
  generationId: string | null;
  model: string;
  promptTokens: number;
  completionTokens: number;
  reasoningTokens: number;
  /** Counts against the plan's reasoning messages per day. */
  reasoning: boolean;
  createdAt: Date;
}

export interface UsageTotals {
  /** Ledger entries with `reasoning: true`. */
  reasoningMessages: number;
  /** promptTokens + completionTokens (completion already includes reasoning tokens). */
  tokens: number;
}

export interface AuditRecord {
  id: string;
  /** `null` for anonymous events and after the user was deleted (audit rows outlive their user). */
  userId: string | null;
  event: string;
  ip: string | null;
  /** JSON object; callers must never put secrets, message text or personal data in it. */
  detail: Record<string, unknown> | null;
  createdAt: Date;
}

export interface InviteRecord {
  id: string;
  createdBy: string | null;
  usedBy: string | null;
  usedAt: Date | null;
  expiresAt: Date;
  createdAt: Date;
}

// ---------------------------------------------------------------- inputs

export interface CreateUserInput {
  email: string;
  passwordHash: string;
  plan: string;
  isAdmin?: boolean;
  displayName?: string | null;
  /** When given, the invite is consumed in the same transaction; unknown/used/expired → `StoreError('invalid_invite')`. */
  inviteCodeHash?: string;
}

export interface UpdateUserInput {
  isAdmin?: boolean;
  disabled?: boolean;
  plan?: string;
  displayName?: string | null;
  passwordHash?: string;
}

export interface CreateSessionInput {
  userId: string;
  tokenHash: string;
  userAgent?: string | null;
  expiresAt: Date;
}

export interface CreateApiKeyInput {
  userId: string;
  name: string;
  prefix: string;
  /** SHA-256 of the key. */
  keyHash: string;
}

export interface RecordUsageInput {
  userId: string;
  apiKeyId?: string | null;
  generationId?: string | null;
  model: string;
  promptTokens: number;
  completionTokens: number;
  reasoningTokens: number;
  reasoning: boolean;
}

export interface RecordAuditInput {
  userId?: string | null;
  event: string;
  ip?: string | null;
  detail?: Record<string, unknown> | null;
}

// ---------------------------------------------------------------- repositories

export interface UserStore {
  /** Generates and wraps the user's data key. Duplicate email → `StoreError('conflict', field 'email')`. */
  create(input: CreateUserInput): Promise<UserRecord>;
  /** The email is normalised before lookup. */
  byEmail(email: string): Promise<UserRecord | null>;
  byId(id: string): Promise<UserRecord | null>;
  /** Oldest first. */
  list(options?: { limit?: number; offset?: number }): Promise<UserRecord[]>;
  update(id: string, patch: UpdateUserInput): Promise<UserRecord | null>;
  /** Erases everything of the user (conversations, messages, search tokens, sessions, keys, usage); audit rows keep `userId: null`. */
  delete(id: string): Promise<boolean>;
  count(): Promise<number>;
}

export interface SessionStore {
  create(input: CreateSessionInput): Promise<SessionRecord>;
  /** `null` when unknown or expired. Callers still check `user.disabled`. */
  byTokenHash(tokenHash: string): Promise<{ session: SessionRecord; user: UserRecord } | null>;
  /** Sets `lastSeenAt` (default now) and optionally extends `expiresAt`. */
  touch(id: string, update?: { lastSeenAt?: Date; expiresAt?: Date }): Promise<void>;
  /** Unexpired sessions, newest first. */
  list(userId: string): Promise<SessionRecord[]>;
  delete(id: string, userId: string): Promise<boolean>;
  /** Ends every session of the user except `exceptId`; returns how many ended. */
  deleteAllForUser(userId: string, exceptId?: string): Promise<number>;
  /** Housekeeping: removes expired sessions; returns how many. */
  deleteExpired(now?: Date): Promise<number>;
}

export interface ApiKeyStore {
  create(input: CreateApiKeyInput): Promise<ApiKeyRecord>;
  /** `null` when unknown or revoked. Callers still check `user.disabled`. */
  byHash(keyHash: string): Promise<{ apiKey: ApiKeyRecord; user: UserRecord } | null>;
  /** Unrevoked keys, newest first. */
  list(userId: string): Promise<ApiKeyRecord[]>;
  revoke(id: string, userId: string): Promise<boolean>;
  /** Sets `lastUsedAt` (default now). */
  touch(id: string, at?: Date): Promise<void>;
}

export interface UsageStore {
  record(input: RecordUsageInput): Promise<UsageEntry>;
  /** Totals of entries with `createdAt >= since`. */
  totals(userId: string, since: Date): Promise<UsageTotals>;
}

export interface AuditStore {
  record(input: RecordAuditInput): Promise<void>;
  /** Newest first. */
  list(options?: { userId?: string; limit?: number; before?: Date }): Promise<AuditRecord[]>;
}

export interface InviteStore {
  /** `codeHash`: SHA-256 of the invite code. */
  create(input: { codeHash: string; createdBy: string | null; expiresAt: Date }): Promise<InviteRecord>;
  /** Unused and unexpired. */
  isValid(codeHash: string, now?: Date): Promise<boolean>;
  /** Atomically marks an unused, unexpired invite used; false otherwise. */
  consume(codeHash: string, usedBy: string, now?: Date): Promise<boolean>;
  list(): Promise<InviteRecord[]>;
  delete(id: string): Promise<boolean>;
}
