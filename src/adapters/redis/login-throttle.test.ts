/** Against the real Redis (test-redis.ts): the shared contract over two connections, then a login burst. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AccountError } from '../../core/accounts/errors.ts';
import { loginFixture, OWNER, OWNER_PASSWORD } from '../../core/accounts/login-fixture.ts';
import { loginThrottleContract } from '../../core/accounts/login-throttle-contract.ts';
import { RedisLoginThrottle } from './login-throttle.ts';
import { skipWithoutRedis, testRedis } from './test-redis.ts';

async function twoInstances() {
  const r = await testRedis();
  return {
    a: new RedisLoginThrottle({ redis: r.r1, keyPrefix: r.keyPrefix }),
    b: new RedisLoginThrottle({ redis: r.r2, keyPrefix: r.keyPrefix }),
    close: r.close,
  };
}

describe('RedisLoginThrottle', { skip: skipWithoutRedis }, () => {
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
});
