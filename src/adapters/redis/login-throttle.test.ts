/** Against the real Redis at PONDER_TEST_REDIS_URL, under a random key prefix removed afterwards. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import type { AccountError } from '../../core/accounts/errors.ts';
import { loginFixture, OWNER, OWNER_PASSWORD } from '../../core/accounts/login-fixture.ts';
import { loginThrottleContract } from '../../core/accounts/login-throttle-contract.ts';
import { RedisLoginThrottle } from './login-throttle.ts';

async function twoInstances() {
  const url = process.env.PONDER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const keyPrefix = `ponder-test:${randomUUID()}:`;
  const connect = () =>
    new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy: () => null });
  const r1 = connect();
  const r2 = connect();
  return {
    a: new RedisLoginThrottle({ redis: r1, keyPrefix }),
    b: new RedisLoginThrottle({ redis: r2, keyPrefix }),
    async close() {
      const keys = await r1.keys(`${keyPrefix}*`);
      if (keys.length > 0) await r1.del(...keys);
      await Promise.all([r1.quit(), r2.quit()]);
    },
  };
}

loginThrottleContract('redis', twoInstances);

test('redis: a burst of 30 logins over two server instances checks at most the limit of passwords', async () => {
  const f = await loginFixture();
  const { a, b, close } = await twoInstances();
  try {
    const one = f.accounts({ loginThrottle: a });
    const two = f.accounts({ loginThrottle: b });
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        (i % 2 ? one : two).login(
          { email: OWNER, password: i === 29 ? OWNER_PASSWORD : `wrong ${i}` },
          { ip: '192.0.2.1' },
        ),
      ),
    );
    assert.ok(f.verifies() <= 10, `${f.verifies()} passwords checked`);
    const refused = results.filter(
      (r) => r.status === 'rejected' && (r.reason as AccountError).code === 'rate_limited',
    );
    assert.ok(refused.length >= 20, `${refused.length} refused`);
  } finally {
    await close();
    await f.close();
  }
});
