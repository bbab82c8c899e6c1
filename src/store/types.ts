/**
 * The `Store` contract (design §6): every persistent thing Ponder keeps, behind one interface that
 * has a SQLite and a PostgreSQL implementation. Types only: nothing here has effects.
 *
 * Conventions:
 * - Records are camelCase; timestamps are `Date`; ids are random URL-safe strings (never sequential).
 * - Every read or write that takes a row id also takes the owner's user id: another user's id behaves
 *   exactly like an unknown id (`null` / `false`), so the server can answer 404 without a second check.
 * - Message content, reasoning, tool steps and conversation titles are encrypted at rest; records carry
 *   plaintext.
 * - Bad input (NUL bytes in plaintext columns, oversize values) raises `StoreValidationError`; an
 *   unknown/foreign parent raises `StoreError` with code `not_found`; a duplicate unique value raises
 *   `StoreError` with code `conflict`. Nothing else is thrown for user input.
 */
import type { StoreError } from './errors.ts';
import type { ArenaStore } from './types-arena.ts';
import type { DocumentStore } from './types-documents.ts';
import type { EvalStore } from './types-eval.ts';
import type { IdentityStore } from './types-identities.ts';
import type { ResponseStore } from './types-responses.ts';

export type StoreDialect = 'sqlite' | 'postgres';

/** The few logger methods the store uses (pino's `Logger` fits). Never given message text or secrets. */
export interface StoreLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface OpenStoreOptions {
  /** Data directory: holds `ponder.db` (SQLite) and `master.key` (when no `masterKey` is given). Created if missing. */
  dataDir: string;
  /** `postgres://…` selects PostgreSQL (a `pg` pool); default: SQLite at `<dataDir>/ponder.db`. */
  databaseUrl?: string;
  /**
   * 32 bytes as 64 hex chars or base64. Default: the key file `<dataDir>/master.key`, created with
   * mode 0600 at first start (an existing one that is group/world-readable is refused).
   */
  masterKey?: string;
  logger?: StoreLogger;
  /** Run migrations on open. Default `true`. */
  migrate?: boolean;
  /** PostgreSQL pool size. Default 10. */
  poolSize?: number;
}

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

export interface ConversationRecord {
  id: string;
  userId: string;
  /** Decrypted title ('' when none was set). */
  title: string;
  createdAt: Date;
  updatedAt: Date;
}

export type MessageRole = 'user' | 'assistant' | 'system';
export type MessageStatus = 'complete' | 'streaming' | 'interrupted' | 'cancelled' | 'error';
/** Why the model stopped: `length` marks an answer cut off by the token or context limit. */
export type MessageFinishReason = 'stop' | 'length' | 'cancelled' | 'error';

export interface MessageUsage {
  promptTokens: number;
  cachedPromptTokens: number;
  completionTokens: number;
  reasoningTokens: number;
}

/**
 * One tool call of an answer and its result. The same shape as the web API's `ToolStep`
 * (src/api/conversations.ts; the store imports nothing but config, so it keeps its own copy).
 */
export interface ToolStep {
  /** The call's id (`call_…`). */
  id: string;
  name: string;
  /** JSON text, as the model wrote it. */
  arguments: string;
  /** Length of the answer's reasoning when the call was made. */
  reasoningOffset: number;
  /** Milliseconds from the generation's start to the call. */
  at: number;
  /** Absent while the tool runs (or when the answer was cut before it ended). */
  result?: ToolStepResult;
}

export interface ToolStepResult {
  content: string;
  isError: boolean;
  /** How long the tool ran. */
  ms: number;
}

export interface MessageRecord {
  id: string;
  conversationId: string;
  userId: string;
  /** The message this one answers or follows; `null` for a root. Siblings are branches. */
  parentId: string | null;
  role: MessageRole;
  /** Decrypted. */
  content: string;
  /** Decrypted reasoning ('' when none). */
  reasoning: string;
  /** Decrypted tool calls and their results, in call order (`[]` when none). */
  toolSteps: ToolStep[];
  status: MessageStatus;
  model: string | null;
  error: string | null;
  reasoningMs: number | null;
  /** `null` until a usage report arrived. */
  usage: MessageUsage | null;
  /** `null` while streaming, and for messages written before it was recorded. */
  finishReason: MessageFinishReason | null;
  generationId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type GenerationStatus = 'running' | 'done' | 'cancelled' | 'error' | 'interrupted';

export interface GenerationRecord {
  id: string;
  userId: string;
  conversationId: string;
  assistantMessageId: string;
  status: GenerationStatus;
  model: string;
  error: string | null;
  createdAt: Date;
  finishedAt: Date | null;
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

export interface SearchResult {
  conversationId: string;
  /** Decrypted conversation title. */
  title: string;
  /** Decrypted excerpt (≤ ~160 chars) around the first hit: from the message, or the title. */
  snippet: string;
  /** The matching message; absent when only the title matched. */
  messageId?: string;
}

export interface IntegrityResult {
  ok: boolean;
  /** What the database reported when not ok. */
  detail?: string;
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

export interface CreateMessageInput {
  /** Pre-chosen id (from `newId()`); default: a fresh one. */
  id?: string;
  conversationId: string;
  userId: string;
  /** Must be a message of the same conversation (else `not_found`); `null`/absent: a root. */
  parentId?: string | null;
  role: MessageRole;
  content: string;
  reasoning?: string;
  /** Default `[]`. */
  toolSteps?: ToolStep[];
  /** Default `complete`. */
  status?: MessageStatus;
  model?: string | null;
  generationId?: string | null;
}

/** Fields replaced by `messages.update`; absent fields are left alone. */
export interface UpdateMessageInput {
  content?: string;
  reasoning?: string;
  /** Replaces the whole list (`[]` clears it). */
  toolSteps?: ToolStep[];
  status?: MessageStatus;
  /** Stored as given; NUL bytes are replaced (diagnostic text from upstreams). */
  error?: string | null;
  reasoningMs?: number | null;
  usage?: MessageUsage | null;
  model?: string | null;
  finishReason?: MessageFinishReason | null;
}

export interface StartGenerationInput {
  /** Pre-chosen generation id; default: a fresh one. */
  id?: string;
  userId: string;
  conversationId: string;
  /** The message the assistant answers (usually the user message); must be in the conversation. */
  parentId: string | null;
  model: string;
  /**
   * Continue this assistant message (a child of `parentId`) instead of creating one: it becomes
   * `streaming` again under the new generation. `not_found` unless it is such a message, not streaming.
   */
  continueMessageId?: string;
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

export interface ListPage {
  /** Default 50, at most 200. */
  limit?: number;
  /** Opaque cursor from a previous page's `nextCursor`. An invalid cursor is a `StoreValidationError`. */
  cursor?: string | null;
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

export interface ConversationStore {
  create(input: { userId: string; title?: string }): Promise<ConversationRecord>;
  /** Newest `updatedAt` first; `nextCursor` is `null` on the last page. */
  list(
    userId: string,
    page?: ListPage,
  ): Promise<{ conversations: ConversationRecord[]; nextCursor: string | null }>;
  get(id: string, userId: string): Promise<ConversationRecord | null>;
  rename(id: string, userId: string, title: string): Promise<ConversationRecord | null>;
  delete(id: string, userId: string): Promise<boolean>;
  /** Sets `updatedAt` (default now) so the conversation moves to the top of the list. */
  touch(id: string, userId: string, at?: Date): Promise<void>;
}

export interface MessageStore {
  /** Conversation not the user's, or parent not in it → `StoreError('not_found')`. Also touches the conversation. */
  create(input: CreateMessageInput): Promise<MessageRecord>;
  get(id: string, userId: string): Promise<MessageRecord | null>;
  /** Every message of the conversation (the whole tree), oldest first; `null` if not the user's. */
  tree(conversationId: string, userId: string): Promise<MessageRecord[] | null>;
  /**
   * Replaces the given fields. Cheap enough to call every second while streaming (one UPDATE, cached
   * data key). The message is (re)indexed for search when its status leaves `streaming`.
   */
  update(id: string, userId: string, patch: UpdateMessageInput): Promise<boolean>;
}

export interface GenerationStore {
  /**
   * In one transaction: creates the assistant message (status `streaming`, empty content, child of
   * `parentId`) and the `running` generation that fills it.
   */
  start(input: StartGenerationInput): Promise<{ generation: GenerationRecord; message: MessageRecord }>;
  get(id: string, userId: string): Promise<GenerationRecord | null>;
  /** Sets status and `finishedAt`; only a `running` generation changes (returns false otherwise). */
  finish(
    id: string,
    userId: string,
    status: Exclude<GenerationStatus, 'running'>,
    error?: string | null,
  ): Promise<boolean>;
  /** Running generations of one user, or of everyone when `userId` is omitted. */
  listRunning(userId?: string): Promise<GenerationRecord[]>;
  /**
   * Start-up after a crash: every `running` generation becomes `interrupted` and its `streaming`
   * messages become `interrupted` (and are indexed). Returns how many generations changed.
   * With several server instances on one database, only call it when none is generating.
   */
  markAllRunningInterrupted(): Promise<number>;
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

export interface SearchStore {
  /**
   * Conversations of `userId` whose title or one message contains every word of `query` (whole words
   * or prefixes of ≥ 3 characters), newest first, one result per conversation. Never others' data.
   * An empty query returns `[]`.
   */
  query(userId: string, query: string, options?: { limit?: number }): Promise<SearchResult[]>;
}

export interface Store extends AsyncDisposable {
  readonly dialect: StoreDialect;
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly apiKeys: ApiKeyStore;
  readonly conversations: ConversationStore;
  readonly messages: MessageStore;
  readonly generations: GenerationStore;
  readonly usage: UsageStore;
  readonly audit: AuditStore;
  readonly invites: InviteStore;
  readonly search: SearchStore;
  /** Single sign-on identities and SSO sessions (issue 14; types-identities.ts). */
  readonly identities: IdentityStore;
  /** The arena (issue 15): battles of two anonymous models and their votes; see types-arena.ts. */
  readonly arena: ArenaStore;
  /** The Responses API (issue 14): stored responses, encrypted, owner-scoped; see types-responses.ts. */
  readonly responses: ResponseStore;
  /** `ponder eval` (issue 15): runs and their samples, answers encrypted; see types-eval.ts. */
  readonly evals: EvalStore;
  /** Documents (issue 13): uploaded files, chunks and collections; see types-documents.ts. */
  readonly documents: DocumentStore;
  /** SQLite `PRAGMA integrity_check`; PostgreSQL `select 1`. */
  integrityCheck(): Promise<IntegrityResult>;
  /**
   * Re-wraps every user's data key under `newMasterKey` (64 hex chars, base64, or 32 raw bytes) in one
   * transaction; afterwards the old master key no longer unwraps anything. Data is not re-encrypted.
   * Stop other server instances first: they keep the old key in memory.
   */
  rotateMasterKey(newMasterKey: string | Uint8Array): Promise<{ rewrapped: number; keyVersion: number }>;
  close(): Promise<void>;
}

export type * from './types-arena.ts';
export type * from './types-documents.ts';
export type * from './types-eval.ts';
export type * from './types-responses.ts';
/** Re-exported so callers can `import type { StoreError } from '…/store/types.ts'` beside the interface. */
export type { StoreError };
