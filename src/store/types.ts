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
import type {
  ApiKeyStore,
  AuditStore,
  InviteStore,
  SessionStore,
  UsageStore,
  UserStore,
} from './types-accounts.ts';
import type { ArenaStore } from './types-arena.ts';
import type { ConversationStore, GenerationStore, MessageStore, SearchStore } from './types-conversations.ts';
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

export interface IntegrityResult {
  ok: boolean;
  /** What the database reported when not ok. */
  detail?: string;
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

export type * from './types-accounts.ts';
export type * from './types-arena.ts';
export type * from './types-conversations.ts';
export type * from './types-documents.ts';
export type * from './types-eval.ts';
export type * from './types-responses.ts';
/** Re-exported so callers can `import type { StoreError } from '…/store/types.ts'` beside the interface. */
export type { StoreError };
