/**
 * `0006_responses`: responses stored for `previous_response_id` and `GET /v1/responses/{id}` (issue 14).
 * One encrypted body per response; the owner's rows go with the account (cascade).
 */
import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../types.ts';

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema types
type AnyDb = Kysely<any>;

export function responsesMigration(dialect: StoreDialect): Migration {
  const bytes = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('responses')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('body', bytes, (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('responses_user').on('responses').column('user_id').execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropTable('responses').ifExists().execute();
    },
  };
}
