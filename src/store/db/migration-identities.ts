/** Migration 0005_identities: single sign-on identities and the provider session of each SSO session. */
import type { Kysely, Migration } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema types
type AnyDb = Kysely<any>;

export const identitiesMigration: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable('identities')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_login_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('identities_provider_subject', ['provider', 'subject'])
      .execute();
    await db.schema.createIndex('identities_user').on('identities').column('user_id').execute();

    await db.schema
      .createTable('session_identities')
      .addColumn('session_id', 'text', (c) => c.primaryKey().references('sessions.id').onDelete('cascade'))
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('sid', 'text')
      .execute();
    await db.schema
      .createIndex('session_identities_sid')
      .on('session_identities')
      .columns(['provider', 'sid'])
      .execute();
    await db.schema
      .createIndex('session_identities_subject')
      .on('session_identities')
      .columns(['provider', 'subject'])
      .execute();
  },
  async down(db: AnyDb) {
    await db.schema.dropTable('session_identities').ifExists().execute();
    await db.schema.dropTable('identities').ifExists().execute();
  },
};
