/** PostgreSQL database and Redis look-ups for the two-instance scenario. */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';

/** Disposers of what is still open, for an interrupted run (Ctrl-C) to clean up. */
const open = new Set<AsyncDisposable>();

export async function disposeServices(): Promise<void> {
  for (const r of [...open]) {
    try {
      await r[Symbol.asyncDispose]();
    } catch {
      // Best effort on the way out.
    }
  }
}

function track<T extends AsyncDisposable>(resource: T): T {
  const dispose = resource[Symbol.asyncDispose].bind(resource);
  resource[Symbol.asyncDispose] = async () => {
    open.delete(resource);
    await dispose();
  };
  open.add(resource);
  return resource;
}

export interface PgDatabase extends AsyncDisposable {
  url: string;
  name: string;
}

/** A fresh database next to the one in `baseUrl`; dropped on dispose. */
export async function createPgDatabase(baseUrl: string): Promise<PgDatabase> {
  const name = `ponder_load_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return track({
    url: url.toString(),
    name,
    async [Symbol.asyncDispose]() {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  });
}

export interface RedisPrefix extends AsyncDisposable {
  prefix: string;
  /** Keys under the prefix now. */
  count(): Promise<number>;
}

/** A unique key prefix for the instances; its keys are deleted on dispose. */
export async function redisPrefix(redisUrl: string): Promise<RedisPrefix> {
  const prefix = `ponder-load-${randomBytes(4).toString('hex')}:`;
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  const keys = async (): Promise<string[]> => {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      found.push(...batch);
    } while (cursor !== '0');
    return found;
  };
  return track({
    prefix,
    count: async () => (await keys()).length,
    async [Symbol.asyncDispose]() {
      try {
        const all = await keys();
        for (let i = 0; i < all.length; i += 500) await redis.del(...all.slice(i, i + 500));
      } finally {
        redis.disconnect();
      }
    },
  });
}
