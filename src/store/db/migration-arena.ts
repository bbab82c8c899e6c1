/**
 * Migration `0008_arena`: the arena's battles. One row per battle holds the question and both sides'
 * answers (encrypted with the owner's data key, like messages), which model wrote each side, and the
 * vote. Rows cascade with their user, so deleting an account removes its battles and votes.
 */
import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../types.ts';

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema types
type AnyDb = Kysely<any>;

export function arenaMigration(dialect: StoreDialect): Migration {
  const bytes = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: AnyDb) {
      let table = db.schema
        .createTable('arena_battles')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('prompt', bytes, (c) => c.notNull());
      for (const side of ['a', 'b']) {
        table = table
          .addColumn(`model_${side}`, 'text', (c) => c.notNull())
          .addColumn(`content_${side}`, bytes, (c) => c.notNull())
          .addColumn(`reasoning_${side}`, bytes, (c) => c.notNull())
          .addColumn(`status_${side}`, 'text', (c) => c.notNull())
          .addColumn(`error_${side}`, 'text')
          .addColumn(`reasoning_ms_${side}`, 'integer');
      }
      await table
        .addColumn('vote', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('voted_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('arena_battles_user_created')
        .on('arena_battles')
        .columns(['user_id', 'created_at'])
        .execute();
      await db.schema.createIndex('arena_battles_voted').on('arena_battles').column('voted_at').execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropTable('arena_battles').execute();
    },
  };
}
