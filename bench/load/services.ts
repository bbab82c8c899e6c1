/** PostgreSQL database and Redis look-ups for the two-instance scenario. */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';

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
  return {
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
  };
}

/** Redis keys that name any of the user ids: shows whether the instances keep per-user state there. */
export async function redisKeysNaming(redisUrl: string, ids: string[]): Promise<number> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let count = 0;
    for (const id of ids.filter((x) => x !== '')) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `*${id}*`, 'COUNT', 1000);
        cursor = next;
        count += keys.length;
      } while (cursor !== '0');
    }
    return count;
  } finally {
    redis.disconnect();
  }
}
