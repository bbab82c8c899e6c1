import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AccountError } from './errors.ts';
import { PasswordHasher } from './password-hasher.ts';

describe('PasswordHasher', () => {
  test('hashes with argon2id m=19456 t=2 p=1 and verifies', async () => {
    const hasher = new PasswordHasher();
    const hash = await hasher.hash('correct horse battery staple');
    assert.match(hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.equal(await hasher.verify(hash, 'correct horse battery staple'), true);
    assert.equal(await hasher.verify(hash, 'wrong'), false);
    assert.equal(await hasher.verify('not a hash', 'wrong'), false);
    assert.equal(await hasher.verifyDummy('anything'), false);
  });

  test('a flood beyond the pool and its queue is shed with overloaded + retry-after', async () => {
    const hasher = new PasswordHasher({ maxConcurrent: 1, maxQueue: 2, retryAfterSeconds: 3 });
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => hasher.hash(`password ${i}`)),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const shed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(ok.length, 3);
    assert.equal(shed.length, 3);
    for (const r of shed) {
      assert.ok(r.reason instanceof AccountError);
      assert.equal(r.reason.code, 'overloaded');
      assert.equal(r.reason.options.retryAfterSeconds, 3);
    }
    // The pool recovers once the flood is over.
    assert.match(await hasher.hash('after the flood'), /^\$argon2id/);
  });
});
