/**
 * The opt-in plaintext vector index: sqlite-vec in its own file (nearest first, per collection, removal
 * by file, collection and owner); on PostgreSQL without pgvector (this machine) a clear refusal.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import pg from 'pg';
import { openPlaintextVectorIndex, VectorIndexError } from './plaintext-vector-index.ts';

const unit = (...xs: number[]) => {
  const n = Math.hypot(...xs);
  return new Float32Array(xs.map((x) => x / n));
};

describe('plaintext vector index', () => {
  test('SQLite (sqlite-vec): a separate file, nearest first, scoped, removable', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ponder-vi-'));
    const index = openPlaintextVectorIndex({ dataDir });
    try {
      await index.ready();
      assert.ok(existsSync(join(dataDir, 'vector-index.db')));
      const e = (
        chunkId: string,
        fileId: string,
        collectionId: string,
        ownerId: string,
        v: Float32Array,
      ) => ({
        chunkId,
        fileId,
        collectionId,
        ownerId,
        vector: v,
      });
      await index.upsert([
        e('c1', 'f1', 'col1', 'u1', unit(1, 0, 0)),
        e('c2', 'f1', 'col1', 'u1', unit(0, 1, 0)),
        e('c3', 'f2', 'col2', 'u2', unit(1, 0.1, 0)),
        e('c4', 'f3', 'col1', 'u1', unit(1, 1, 0)),
      ]);
      const hits = await index.search(['col1'], unit(1, 0.05, 0), 10);
      assert.deepEqual(
        hits.map((h) => h.chunkId),
        ['c1', 'c4', 'c2'],
      );
      assert.ok((hits[0]?.score ?? 0) > 0.99);
      assert.deepEqual(
        (await index.search(['col1', 'col2'], unit(1, 0.1, 0), 1)).map((h) => h.chunkId),
        ['c3'],
      );
      // Upserting a chunk again replaces it; other dimensions live in their own table.
      await index.upsert([
        e('c2', 'f1', 'col1', 'u1', unit(1, 0, 0)),
        e('c9', 'f9', 'col1', 'u1', unit(1, 2)),
      ]);
      assert.equal((await index.search(['col1'], unit(1, 0, 0), 10)).length, 3);
      assert.deepEqual(
        (await index.search(['col1'], unit(1, 2), 10)).map((h) => h.chunkId),
        ['c9'],
      );
      await index.removeFile('f1');
      assert.deepEqual(
        (await index.search(['col1'], unit(1, 0, 0), 10)).map((h) => h.chunkId),
        ['c4'],
      );
      await index.removeOwner('u2');
      assert.deepEqual(await index.search(['col2'], unit(1, 0, 0), 10), []);
      await index.removeCollection('col1');
      assert.deepEqual(await index.search(['col1'], unit(1, 0, 0), 10), []);
    } finally {
      await index.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('PostgreSQL: works with pgvector, else refuses clearly', async () => {
    const adminUrl = process.env.PONDER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    const name = `ponder_vi_${randomBytes(6).toString('hex')}`;
    await admin.query(`create database ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const index = openPlaintextVectorIndex({ dataDir: tmpdir(), databaseUrl: url.toString() });
    try {
      const { rows } = await admin.query(
        "select exists(select 1 from pg_available_extensions where name = 'vector') as ok",
      );
      if (rows[0]?.ok) {
        // Not installed on this machine; with pgvector the table needs the store's tables first.
        return;
      }
      await assert.rejects(
        index.ready(),
        (err: unknown) =>
          err instanceof VectorIndexError &&
          /pgvector/.test(err.message) &&
          /turn the option off/.test(err.message),
      );
      await assert.rejects(index.search(['c'], unit(1, 0), 5), VectorIndexError);
    } finally {
      await index.close();
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });
});
