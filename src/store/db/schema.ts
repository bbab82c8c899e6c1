/**
 * Kysely table types. Column names are snake_case in SQL; records are mapped to camelCase by hand in
 * the repositories (no naming plugin: the SQL stays greppable).
 *
 * Portable representations: timestamps are epoch milliseconds (`bigint`; `pg` returns them as strings),
 * booleans are 0/1 integers (better-sqlite3 cannot bind booleans), ciphertexts are bytes (`blob` /
 * `bytea`: also what lets PostgreSQL hold encrypted NUL bytes).
 */
import type { ColumnType } from 'kysely';
import type { ArenaBattlesTable } from './schema-arena.ts';
import type { EvalRunsTable, EvalSamplesTable } from './schema-eval.ts';
import type { IdentitiesTable, SessionIdentitiesTable } from './schema-identities.ts';
import type { ResponsesTable } from './schema-responses.ts';

/** Epoch ms; reads come back as a string from PostgreSQL `bigint`. */
export type Millis = ColumnType<number | string, number, number>;
export type NullableMillis = ColumnType<number | string | null, number | null, number | null>;
/** A count or token number; PostgreSQL may return `bigint` aggregates as strings. */
export type Int = ColumnType<number | string, number, number>;
export type NullableInt = ColumnType<number | string | null, number | null, number | null>;

export interface UsersTable {
  id: string;
  email: string;
  password_hash: string;
  display_name: string | null;
  is_admin: Int;
  disabled: Int;
  plan: string;
  wrapped_data_key: Buffer;
  key_version: Int;
  created_at: Millis;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  token_hash: string;
  user_agent: string | null;
  created_at: Millis;
  last_seen_at: Millis;
  expires_at: Millis;
}

export interface ApiKeysTable {
  id: string;
  user_id: string;
  name: string;
  prefix: string;
  key_hash: string;
  created_at: Millis;
  last_used_at: NullableMillis;
  revoked_at: NullableMillis;
}

export interface ConversationsTable {
  id: string;
  user_id: string;
  title: Buffer;
  created_at: Millis;
  updated_at: Millis;
}

export interface MessagesTable {
  id: string;
  conversation_id: string;
  user_id: string;
  parent_id: string | null;
  role: string;
  content: Buffer;
  reasoning: Buffer;
  status: string;
  model: string | null;
  error: string | null;
  reasoning_ms: NullableInt;
  prompt_tokens: NullableInt;
  cached_prompt_tokens: NullableInt;
  completion_tokens: NullableInt;
  reasoning_tokens: NullableInt;
  /** Added by migration 0002. */
  finish_reason: string | null;
  /** Added by migration 0003: the encrypted JSON array of tool steps; `null` when none. */
  tool_steps: Buffer | null;
  generation_id: string | null;
  created_at: Millis;
  updated_at: Millis;
}

export interface GenerationsTable {
  id: string;
  user_id: string;
  conversation_id: string;
  assistant_message_id: string;
  status: string;
  model: string;
  error: string | null;
  created_at: Millis;
  finished_at: NullableMillis;
}

export interface UsageLedgerTable {
  id: string;
  user_id: string;
  api_key_id: string | null;
  generation_id: string | null;
  model: string;
  prompt_tokens: Int;
  completion_tokens: Int;
  reasoning_tokens: Int;
  reasoning: Int;
  created_at: Millis;
}

export interface InvitesTable {
  id: string;
  code_hash: string;
  created_by: string | null;
  used_by: string | null;
  used_at: NullableMillis;
  expires_at: Millis;
  created_at: Millis;
}

export interface AuditLogTable {
  id: string;
  user_id: string | null;
  event: string;
  ip: string | null;
  detail: string | null;
  created_at: Millis;
}

export interface SearchTokensTable {
  user_id: string;
  conversation_id: string;
  message_id: string | null;
  token_hash: Buffer;
}

/** Small key/value facts about the database itself (master key version and check value). */
export interface StoreMetaTable {
  key: string;
  value: string;
}

/** Documents (migration 0004): see types-documents.ts for what is encrypted. */
export interface DocumentCollectionsTable {
  id: string;
  user_id: string;
  name: Buffer;
  shared: Int;
  created_at: Millis;
  updated_at: Millis;
}

export interface DocumentFilesTable {
  id: string;
  user_id: string;
  conversation_id: string | null;
  collection_id: string | null;
  name: Buffer;
  kind: string;
  media_type: string;
  size_bytes: Int;
  pages: NullableInt;
  chunk_count: Int;
  tokens: Int;
  embedding_model: string | null;
  content: Buffer;
  text: Buffer;
  created_at: Millis;
}

export interface DocumentChunksTable {
  id: string;
  file_id: string;
  user_id: string;
  seq: Int;
  page: NullableInt;
  tokens: Int;
  /** Encrypted JSON `{ text, heading }`. */
  body: Buffer;
  /** Encrypted float32 bytes; `null` when the file has no vectors. */
  vector: Buffer | null;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  api_keys: ApiKeysTable;
  conversations: ConversationsTable;
  messages: MessagesTable;
  generations: GenerationsTable;
  usage_ledger: UsageLedgerTable;
  invites: InvitesTable;
  audit_log: AuditLogTable;
  search_tokens: SearchTokensTable;
  store_meta: StoreMetaTable;
  /** The arena (migration 0008_arena): battles and votes; see schema-arena.ts. */
  arena_battles: ArenaBattlesTable;
  /** The Responses API (migration 0006_responses): see schema-responses.ts. */
  responses: ResponsesTable;
  /** `ponder eval` (migration 0007_eval_runs): see schema-eval.ts. */
  eval_runs: EvalRunsTable;
  eval_samples: EvalSamplesTable;
  document_collections: DocumentCollectionsTable;
  document_files: DocumentFilesTable;
  document_chunks: DocumentChunksTable;
  /** Single sign-on (migration 0005_identities); see schema-identities.ts. */
  identities: IdentitiesTable;
  session_identities: SessionIdentitiesTable;
}
