/**
 * Migration `0007_eval_runs`: eval runs and their finished samples (see types-eval.ts). Samples are keyed
 * by (run, variant, problem, sample index), which is what makes a resumed run skip finished work; both
 * tables cascade with the owner (account deletion) and samples with their run.
 */
import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../types.ts';

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema types
type AnyDb = Kysely<any>;

export function evalRunsMigration(dialect: StoreDialect): Migration {
  const bytes = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('eval_runs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('config', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('total', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('eval_runs_created').on('eval_runs').column('created_at').execute();
      await db.schema
        .createTable('eval_samples')
        .addColumn('run_id', 'text', (c) => c.notNull().references('eval_runs.id').onDelete('cascade'))
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('variant', 'text', (c) => c.notNull())
        .addColumn('problem_id', 'text', (c) => c.notNull())
        .addColumn('sample_index', 'integer', (c) => c.notNull())
        .addColumn('correct', 'integer', (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('finish_reason', 'text', (c) => c.notNull())
        .addColumn('prompt_tokens', 'integer', (c) => c.notNull())
        .addColumn('reasoning_tokens', 'integer', (c) => c.notNull())
        .addColumn('answer_tokens', 'integer', (c) => c.notNull())
        .addColumn('reasoning_chars', 'integer', (c) => c.notNull())
        .addColumn('ttft_ms', 'integer')
        .addColumn('duration_ms', 'integer', (c) => c.notNull())
        .addColumn('detail', bytes, (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('eval_samples_pk', ['run_id', 'variant', 'problem_id', 'sample_index'])
        .execute();
      await db.schema.createIndex('eval_samples_user').on('eval_samples').column('user_id').execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropTable('eval_samples').execute();
      await db.schema.dropTable('eval_runs').execute();
    },
  };
}
