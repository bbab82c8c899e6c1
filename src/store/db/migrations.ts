/**
 * The one migration set for SQLite and PostgreSQL (Kysely `Migrator`, in-code provider). SQL differs
 * only in the byte type (`blob` / `bytea`); everything else is portable schema-builder calls.
 * Migrations are append-only: never edit one that has shipped, add the next.
 */
import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import { StoreError } from '../errors.ts';
import type { StoreDialect } from '../types.ts';
import { arenaMigration } from './migration-arena.ts';
import { evalRunsMigration } from './migration-eval.ts'; // ponder eval (issue 15)
import { identitiesMigration } from './migration-identities.ts';
import { responsesMigration } from './migration-responses.ts';

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema types
type AnyDb = Kysely<any>;

function initial(dialect: StoreDialect): Migration {
  const bytes = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('display_name', 'text')
        .addColumn('is_admin', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('plan', 'text', (c) => c.notNull())
        .addColumn('wrapped_data_key', bytes, (c) => c.notNull())
        .addColumn('key_version', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('user_agent', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();

      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_used_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .execute();
      await db.schema.createIndex('api_keys_user').on('api_keys').column('user_id').execute();

      await db.schema
        .createTable('conversations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('title', bytes, (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('conversations_user_updated')
        .on('conversations')
        .columns(['user_id', 'updated_at', 'id'])
        .execute();

      await db.schema
        .createTable('messages')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('conversation_id', 'text', (c) =>
          c.notNull().references('conversations.id').onDelete('cascade'),
        )
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('parent_id', 'text', (c) => c.references('messages.id').onDelete('cascade'))
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('content', bytes, (c) => c.notNull())
        .addColumn('reasoning', bytes, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('model', 'text')
        .addColumn('error', 'text')
        .addColumn('reasoning_ms', 'integer')
        .addColumn('prompt_tokens', 'integer')
        .addColumn('cached_prompt_tokens', 'integer')
        .addColumn('completion_tokens', 'integer')
        .addColumn('reasoning_tokens', 'integer')
        .addColumn('generation_id', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('messages_conversation')
        .on('messages')
        .columns(['conversation_id', 'created_at'])
        .execute();
      await db.schema.createIndex('messages_parent').on('messages').column('parent_id').execute();
      await db.schema.createIndex('messages_user').on('messages').column('user_id').execute();
      await db.schema.createIndex('messages_status').on('messages').column('status').execute();

      await db.schema
        .createTable('generations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('conversation_id', 'text', (c) =>
          c.notNull().references('conversations.id').onDelete('cascade'),
        )
        .addColumn('assistant_message_id', 'text', (c) =>
          c.notNull().references('messages.id').onDelete('cascade'),
        )
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('finished_at', 'bigint')
        .execute();
      await db.schema.createIndex('generations_status').on('generations').column('status').execute();
      await db.schema.createIndex('generations_user').on('generations').column('user_id').execute();
      await db.schema
        .createIndex('generations_conversation')
        .on('generations')
        .column('conversation_id')
        .execute();
      await db.schema
        .createIndex('generations_message')
        .on('generations')
        .column('assistant_message_id')
        .execute();

      // The ledger outlives conversations and keys (quotas must not reset by deleting a chat),
      // but not the user.
      await db.schema
        .createTable('usage_ledger')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('api_key_id', 'text', (c) => c.references('api_keys.id').onDelete('set null'))
        .addColumn('generation_id', 'text', (c) => c.references('generations.id').onDelete('set null'))
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('prompt_tokens', 'integer', (c) => c.notNull())
        .addColumn('completion_tokens', 'integer', (c) => c.notNull())
        .addColumn('reasoning_tokens', 'integer', (c) => c.notNull())
        .addColumn('reasoning', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('usage_ledger_user_created')
        .on('usage_ledger')
        .columns(['user_id', 'created_at'])
        .execute();
      await db.schema.createIndex('usage_ledger_key').on('usage_ledger').column('api_key_id').execute();
      await db.schema
        .createIndex('usage_ledger_generation')
        .on('usage_ledger')
        .column('generation_id')
        .execute();

      await db.schema
        .createTable('invites')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('code_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_by', 'text', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('used_by', 'text', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('used_at', 'bigint')
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      // Audit rows outlive their user with `user_id` set to null (deleting the user erases the link).
      await db.schema
        .createTable('audit_log')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('ip', 'text')
        .addColumn('detail', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_log_created').on('audit_log').column('created_at').execute();
      await db.schema.createIndex('audit_log_user').on('audit_log').column('user_id').execute();

      await db.schema
        .createTable('search_tokens')
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('conversation_id', 'text', (c) =>
          c.notNull().references('conversations.id').onDelete('cascade'),
        )
        .addColumn('message_id', 'text', (c) => c.references('messages.id').onDelete('cascade'))
        .addColumn('token_hash', bytes, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('search_tokens_lookup')
        .on('search_tokens')
        .columns(['user_id', 'token_hash'])
        .execute();
      await db.schema
        .createIndex('search_tokens_conversation')
        .on('search_tokens')
        .column('conversation_id')
        .execute();
      await db.schema.createIndex('search_tokens_message').on('search_tokens').column('message_id').execute();

      await db.schema
        .createTable('store_meta')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db: AnyDb) {
      for (const table of [
        'store_meta',
        'search_tokens',
        'audit_log',
        'invites',
        'usage_ledger',
        'generations',
        'messages',
        'conversations',
        'api_keys',
        'sessions',
        'users',
      ]) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  };
}

/** Why each answer ended, so a cut-off one (`length`) can be shown as such and continued. */
const messageFinishReason: Migration = {
  async up(db: AnyDb) {
    await db.schema.alterTable('messages').addColumn('finish_reason', 'text').execute();
  },
  async down(db: AnyDb) {
    await db.schema.alterTable('messages').dropColumn('finish_reason').execute();
  },
};

/** An answer's tool calls and results: one encrypted JSON array per message, `null` when none. */
function messageToolSteps(dialect: StoreDialect): Migration {
  const bytes = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: AnyDb) {
      await db.schema.alterTable('messages').addColumn('tool_steps', bytes).execute();
    },
    async down(db: AnyDb) {
      await db.schema.alterTable('messages').dropColumn('tool_steps').execute();
    },
  };
}

/** Documents (issue 13): collections, files and chunks; everything with content is encrypted bytes. */
function documents(dialect: StoreDialect): Migration {
  const bytes = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('document_collections')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('name', bytes, (c) => c.notNull())
        .addColumn('shared', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('document_collections_user')
        .on('document_collections')
        .column('user_id')
        .execute();
      await db.schema
        .createTable('document_files')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('conversation_id', 'text', (c) => c.references('conversations.id').onDelete('cascade'))
        .addColumn('collection_id', 'text', (c) =>
          c.references('document_collections.id').onDelete('cascade'),
        )
        .addColumn('name', bytes, (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('media_type', 'text', (c) => c.notNull())
        .addColumn('size_bytes', 'bigint', (c) => c.notNull())
        .addColumn('pages', 'integer')
        .addColumn('chunk_count', 'integer', (c) => c.notNull())
        .addColumn('tokens', 'integer', (c) => c.notNull())
        .addColumn('embedding_model', 'text')
        .addColumn('content', bytes, (c) => c.notNull())
        .addColumn('text', bytes, (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('document_files_user').on('document_files').column('user_id').execute();
      await db.schema
        .createIndex('document_files_conversation')
        .on('document_files')
        .column('conversation_id')
        .execute();
      await db.schema
        .createIndex('document_files_collection')
        .on('document_files')
        .column('collection_id')
        .execute();
      await db.schema
        .createTable('document_chunks')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('file_id', 'text', (c) => c.notNull().references('document_files.id').onDelete('cascade'))
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('page', 'integer')
        .addColumn('tokens', 'integer', (c) => c.notNull())
        .addColumn('body', bytes, (c) => c.notNull())
        .addColumn('vector', bytes)
        .execute();
      await db.schema
        .createIndex('document_chunks_file')
        .on('document_chunks')
        .columns(['file_id', 'seq'])
        .execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropTable('document_chunks').execute();
      await db.schema.dropTable('document_files').execute();
      await db.schema.dropTable('document_collections').execute();
    },
  };
}

export function migrationProvider(dialect: StoreDialect): MigrationProvider {
  return {
    async getMigrations() {
      return {
        '0001_initial': initial(dialect),
        '0002_message_finish_reason': messageFinishReason,
        '0003_message_tool_steps': messageToolSteps(dialect),
        // Documents (issue 13): collections, files and chunks.
        '0004_documents': documents(dialect),
        // Single sign-on (issue 14): identities and SSO sessions; see migration-identities.ts.
        '0005_identities': identitiesMigration,
        // The Responses API (issue 14): stored responses; see migration-responses.ts.
        '0006_responses': responsesMigration(dialect),
        // `ponder eval` (issue 15): runs and samples; see migration-eval.ts.
        '0007_eval_runs': evalRunsMigration(dialect),
        // The arena (issue 15): battles, answers and votes; see migration-arena.ts.
        '0008_arena': arenaMigration(dialect),
      };
    },
  };
}

export interface MigrationReport {
  applied: string[];
  /** Every migration now applied, in order. */
  all: string[];
}

/** Attempts for SQLite, whose migration "lock" does not span processes (see below). */
const SQLITE_ATTEMPTS = 6;

/**
 * Brings the schema up to date; safe to run concurrently. PostgreSQL: Kysely takes an advisory lock.
 * SQLite: Kysely's lock is a no-op (it assumes one connection), so two processes starting on a fresh
 * file can collide; each attempt is one transaction that rolls back cleanly, so the loser retries and
 * then finds the schema in place.
 */
export async function migrateToLatest(db: AnyDb, dialect: StoreDialect): Promise<MigrationReport> {
  const migrator = new Migrator({ db, provider: migrationProvider(dialect) });
  const attempts = dialect === 'sqlite' ? SQLITE_ATTEMPTS : 1;
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    if (!error) {
      const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
      const all = (await migrator.getMigrations()).filter((m) => m.executedAt).map((m) => m.name);
      return { applied, all };
    }
    if (attempt < attempts) {
      await new Promise((r) => setTimeout(r, 20 * attempt + Math.random() * 50));
      continue;
    }
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new StoreError(
      'database',
      `database migration${failed ? ` ${failed}` : ''} failed: ${(error as Error)?.message ?? String(error)}`,
      undefined,
      { cause: error },
    );
  }
}
