/**
 * The preamble of every test against a real Redis (PONDER_TEST_REDIS_URL, default 127.0.0.1:6379):
 * two connections, as two Ponder instances would have, and a key prefix of its own per test, whose
 * keys are removed on close, so tests can run side by side on one Redis and leave nothing behind.
 *
 * ```ts
 * describe('redis', { skip: skipWithoutRedis }, () => {
 *   test('…', async () => {
 *     await using r = await testRedis();
 *     new RedisRateLimiter({ redis: r.r1, keyPrefix: r.keyPrefix });
 *   });
 * });
 * ```
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

export const TEST_REDIS_URL = process.env.PONDER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A connection that fails fast instead of queueing commands while Redis is away. */
export function connectTestRedis(): Redis {
  return new Redis(TEST_REDIS_URL, {
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: () => null,
  });
}

async function probe(): Promise<string | false> {
  const redis = connectTestRedis();
  // The socket error (ECONNREFUSED …) says more than the failed command's "Connection is closed".
  let socketError: Error | undefined;
  redis.on('error', (err: Error) => {
    socketError ??= err;
  });
  try {
    await redis.ping();
    return false;
  } catch (err) {
    const why = (socketError ?? (err as Error)).message;
    const reason = `no Redis at ${TEST_REDIS_URL} (${why}); start one or set PONDER_TEST_REDIS_URL`;
    // CI promises a Redis: there a missing one fails the run instead of skipping its tests.
    if (process.env.CI) throw new Error(reason);
    return reason;
  } finally {
    redis.disconnect();
  }
}

/** A skip reason for node:test when the test Redis does not answer, else false (checked once per file). */
export const skipWithoutRedis: string | false = await probe();

export interface TestRedis extends AsyncDisposable {
  r1: Redis;
  r2: Redis;
  /** `ponder-test:<uuid>:`, unique to this test. */
  keyPrefix: string;
  /** Keys under this test's prefix. */
  keys(): Promise<string[]>;
  /** Removes this test's keys and closes both connections. */
  close(): Promise<void>;
}

export async function testRedis(): Promise<TestRedis> {
  const keyPrefix = `ponder-test:${randomUUID()}:`;
  const r1 = connectTestRedis();
  const r2 = connectTestRedis();
  await Promise.all([r1.ping(), r2.ping()]);
  const keys = async (): Promise<string[]> => {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await r1.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
      found.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return found;
  };
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    try {
      const own = await keys();
      if (own.length > 0) await r1.del(...own);
    } finally {
      await Promise.all([r1.quit(), r2.quit()].map((p) => p.catch(() => {})));
    }
  };
  return { r1, r2, keyPrefix, keys, close, [Symbol.asyncDispose]: close };
}
