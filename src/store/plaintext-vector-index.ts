/**
 * The OPT-IN plaintext vector index for large shared collections (issue 13). Off by default: Ponder's
 * default keeps vectors encrypted and searches them exactly in memory. When an operator turns on
 * `documents.plaintextVectorIndex`, the vectors of collections an admin shared with everyone are also
 * kept here IN PLAINTEXT, so a query is a nearest-neighbour lookup instead of decrypting and scanning.
 *
 * Trade-off: text, names and headings stay encrypted, but embeddings are not: someone with the index (a
 * backup, a dump) can compare them with embeddings of guessed text, cluster documents, and with embedding
 * inversion attacks recover approximate content. Only shared (non-private) collections are indexed.
 *
 * SQLite: a separate file `<dataDir>/vector-index.db` (sqlite-vec `vec0` tables, one per dimension),
 * which an operator can exclude from backups; PostgreSQL: a table in the same database using pgvector,
 * only when the server has the extension, else a clear `VectorIndexError`.
 */
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import * as sqliteVec from 'sqlite-vec';

export interface VectorIndexEntry {
  chunkId: string;
  fileId: string;
  collectionId: string;
  ownerId: string;
  vector: Float32Array;
}

export interface PlaintextVectorIndex {
  /** Checks the backend once (PostgreSQL: that pgvector exists); throws `VectorIndexError` when unusable. */
  ready(): Promise<void>;
  upsert(entries: readonly VectorIndexEntry[]): Promise<void>;
  removeFile(fileId: string): Promise<void>;
  removeCollection(collectionId: string): Promise<void>;
  removeOwner(userId: string): Promise<void>;
  /** Nearest chunks by cosine similarity within the collections, best first. */
  search(
    collectionIds: readonly string[],
    vector: Float32Array,
    k: number,
  ): Promise<Array<{ chunkId: string; score: number }>>;
  close(): Promise<void>;
}

export class VectorIndexError extends Error {
  override readonly name = 'VectorIndexError';
}

const bytesOf = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

export function openPlaintextVectorIndex(options: {
  dataDir: string;
  databaseUrl?: string;
}): PlaintextVectorIndex {
  return options.databaseUrl?.startsWith('postgres')
    ? new PgVectorIndex(options.databaseUrl)
    : new SqliteVecIndex(join(options.dataDir, 'vector-index.db'));
}

class SqliteVecIndex implements PlaintextVectorIndex {
  #db: BetterSqlite3.Database | undefined;
  constructor(private readonly file: string) {}

  #open(): BetterSqlite3.Database {
    if (this.#db) return this.#db;
    let db: BetterSqlite3.Database | undefined;
    try {
      db = new BetterSqlite3(this.file);
      sqliteVec.load(db);
    } catch (err) {
      db?.close();
      throw new VectorIndexError(
        `the plaintext vector index cannot start: sqlite-vec did not load (${(err as Error).name}); ` +
          'turn documents.plaintextVectorIndex off or install sqlite-vec for this platform',
      );
    }
    db.pragma('journal_mode = WAL');
    db.exec(
      'create table if not exists entries (chunk_id text primary key, file_id text not null, ' +
        'collection_id text not null, owner_id text not null, dims integer not null)',
    );
    db.exec('create index if not exists entries_file on entries(file_id)');
    db.exec('create index if not exists entries_collection on entries(collection_id)');
    db.exec('create index if not exists entries_owner on entries(owner_id)');
    this.#db = db;
    return db;
  }

  #table(db: BetterSqlite3.Database, dims: number): string {
    if (!Number.isSafeInteger(dims) || dims < 1 || dims > 8192)
      throw new VectorIndexError('bad vector length');
    const name = `vectors_${dims}`;
    db.exec(
      `create virtual table if not exists ${name} using vec0(chunk_id text primary key, ` +
        `collection_id text partition key, embedding float[${dims}] distance_metric=cosine)`,
    );
    return name;
  }

  async ready(): Promise<void> {
    this.#open();
  }

  async upsert(entries: readonly VectorIndexEntry[]): Promise<void> {
    const db = this.#open();
    db.transaction(() => {
      for (const e of entries) {
        this.#removeChunk(db, e.chunkId);
        const table = this.#table(db, e.vector.length);
        db.prepare(`insert into ${table}(chunk_id, collection_id, embedding) values (?, ?, ?)`).run(
          e.chunkId,
          e.collectionId,
          bytesOf(e.vector),
        );
        db.prepare(
          'insert into entries(chunk_id, file_id, collection_id, owner_id, dims) values (?, ?, ?, ?, ?)',
        ).run(e.chunkId, e.fileId, e.collectionId, e.ownerId, e.vector.length);
      }
    })();
  }

  #removeChunk(db: BetterSqlite3.Database, chunkId: string): void {
    const row = db.prepare('select dims from entries where chunk_id = ?').get(chunkId) as
      | { dims: number }
      | undefined;
    if (!row) return;
    db.prepare(`delete from ${this.#table(db, row.dims)} where chunk_id = ?`).run(chunkId);
    db.prepare('delete from entries where chunk_id = ?').run(chunkId);
  }

  #removeWhere(column: 'file_id' | 'collection_id' | 'owner_id', value: string): void {
    const db = this.#open();
    db.transaction(() => {
      const rows = db.prepare(`select chunk_id from entries where ${column} = ?`).all(value) as Array<{
        chunk_id: string;
      }>;
      for (const r of rows) this.#removeChunk(db, r.chunk_id);
    })();
  }

  async removeFile(fileId: string): Promise<void> {
    this.#removeWhere('file_id', fileId);
  }

  async removeCollection(collectionId: string): Promise<void> {
    this.#removeWhere('collection_id', collectionId);
  }

  async removeOwner(userId: string): Promise<void> {
    this.#removeWhere('owner_id', userId);
  }

  async search(collectionIds: readonly string[], vector: Float32Array, k: number) {
    const db = this.#open();
    const table = this.#table(db, vector.length);
    const stmt = db.prepare(
      `select chunk_id, distance from ${table} where embedding match ? and k = ? and collection_id = ?`,
    );
    const out: Array<{ chunkId: string; score: number }> = [];
    for (const c of collectionIds) {
      for (const r of stmt.all(bytesOf(vector), k, c) as Array<{ chunk_id: string; distance: number }>) {
        out.push({ chunkId: r.chunk_id, score: 1 - r.distance });
      }
    }
    return out.sort((a, b) => b.score - a.score).slice(0, k);
  }

  async close(): Promise<void> {
    this.#db?.close();
    this.#db = undefined;
  }
}

/** pgvector in the store's own database. Entries cascade away with their chunk and their owner. */
class PgVectorIndex implements PlaintextVectorIndex {
  readonly #pool: pg.Pool;
  #ready: Promise<void> | undefined;
  constructor(url: string) {
    this.#pool = new pg.Pool({ connectionString: url, max: 2 });
    // An idle connection dropped by the server must not become an uncaught error (the next query reconnects).
    this.#pool.on('error', () => {});
  }

  ready(): Promise<void> {
    this.#ready ??= (async () => {
      const { rows } = await this.#pool.query(
        "select exists(select 1 from pg_available_extensions where name = 'vector') as ok",
      );
      if (!rows[0]?.ok) {
        throw new VectorIndexError(
          'documents.plaintextVectorIndex is on, but this PostgreSQL server has no pgvector extension: ' +
            'install it (e.g. the postgresql-NN-pgvector package) or turn the option off ' +
            '(encrypted in-memory search needs nothing)',
        );
      }
      await this.#pool.query('create extension if not exists vector');
      await this.#pool.query(
        'create table if not exists document_vector_index (' +
          'chunk_id text primary key references document_chunks(id) on delete cascade, ' +
          'file_id text not null, collection_id text not null, ' +
          'owner_id text not null references users(id) on delete cascade, embedding vector not null)',
      );
      await this.#pool.query(
        'create index if not exists document_vector_index_collection on document_vector_index(collection_id)',
      );
    })();
    this.#ready.catch(() => {
      this.#ready = undefined;
    });
    return this.#ready;
  }

  async upsert(entries: readonly VectorIndexEntry[]): Promise<void> {
    await this.ready();
    for (const e of entries) {
      await this.#pool.query(
        'insert into document_vector_index (chunk_id, file_id, collection_id, owner_id, embedding) ' +
          'values ($1, $2, $3, $4, $5::vector) on conflict (chunk_id) do update set embedding = excluded.embedding, ' +
          'collection_id = excluded.collection_id',
        [e.chunkId, e.fileId, e.collectionId, e.ownerId, `[${Array.from(e.vector).join(',')}]`],
      );
    }
  }

  async removeFile(fileId: string): Promise<void> {
    await this.ready();
    await this.#pool.query('delete from document_vector_index where file_id = $1', [fileId]);
  }

  async removeCollection(collectionId: string): Promise<void> {
    await this.ready();
    await this.#pool.query('delete from document_vector_index where collection_id = $1', [collectionId]);
  }

  async removeOwner(userId: string): Promise<void> {
    await this.ready();
    await this.#pool.query('delete from document_vector_index where owner_id = $1', [userId]);
  }

  async search(collectionIds: readonly string[], vector: Float32Array, k: number) {
    await this.ready();
    const literal = `[${Array.from(vector).join(',')}]`;
    const { rows } = await this.#pool.query(
      'select chunk_id, 1 - (embedding <=> $1::vector) as score from document_vector_index ' +
        'where collection_id = any($2) and vector_dims(embedding) = $3 order by embedding <=> $1::vector limit $4',
      [literal, collectionIds, vector.length, k],
    );
    return rows.map((r: { chunk_id: string; score: number }) => ({
      chunkId: r.chunk_id,
      score: Number(r.score),
    }));
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
