import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { leadingZeroBits, PowGate, powHash, solvePow } from '../rate-limit/pow.ts';
import type { AccountError } from './errors.ts';
import { type LoginFixture, loginFixture, OWNER, OWNER_PASSWORD } from './login-fixture.ts';
import { MemoryLoginThrottle } from './login-throttle.ts';

const codeOf = (err: unknown) => (err as AccountError).code;

describe('login throttling (in-process)', () => {
  let f: LoginFixture;
  before(async () => {
    f = await loginFixture();
  });
  after(() => f.close());

  test('a burst of 30 parallel logins for one email checks at most the limit of passwords', async () => {
    const accounts = f.accounts();
    const start = f.verifies();
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        accounts.login(
          { email: OWNER, password: i === 29 ? OWNER_PASSWORD : `wrong ${i}` },
          { ip: '192.0.2.1' },
        ),
      ),
    );
    assert.ok(f.verifies() - start <= 10, `${f.verifies() - start} passwords checked`);
    const refused = results.filter((r) => r.status === 'rejected' && codeOf(r.reason) === 'rate_limited');
    assert.ok(refused.length >= 20, `${refused.length} refused`);
  });

  test("a stranger's failures do not lock the owner's known device out", async () => {
    const accounts = f.accounts();
    const ip = '192.0.2.2';
    const { deviceToken } = await accounts.login({ email: OWNER, password: OWNER_PASSWORD }, { ip });
    for (let i = 0; i < 12; i++) {
      await assert.rejects(accounts.login({ email: OWNER, password: `guess ${i}` }, { ip }));
    }
    await assert.rejects(accounts.login({ email: OWNER, password: OWNER_PASSWORD }, { ip }), (err) => {
      return codeOf(err) === 'rate_limited';
    });
    // A token for another account, or a forged one, is just an unknown browser.
    const other = await f.accounts().login({ email: OWNER, password: OWNER_PASSWORD }, { ip: '192.0.2.9' });
    for (const bad of [`${deviceToken}x`, 'd1.x.y.z', undefined]) {
      await assert.rejects(
        accounts.login({ email: OWNER, password: OWNER_PASSWORD }, { ip, deviceToken: bad }),
        (err) => codeOf(err) === 'rate_limited',
      );
    }
    const login = await accounts.login({ email: OWNER, password: OWNER_PASSWORD }, { ip, deviceToken });
    assert.equal(login.user.email, OWNER);
    assert.notEqual(login.deviceToken, deviceToken, 're-issued at every login');
    assert.ok(other.deviceToken);
  });

  test('past the per-account ceiling logins need a proof of work instead of being locked out', async () => {
    const pow = new PowGate({ secret: randomBytes(32), difficultyBits: 4 });
    const accounts = f.accounts({
      loginThrottle: new MemoryLoginThrottle(),
      loginPow: pow,
      throttle: { loginAccountCeiling: { limit: 5, windowMs: 60_000 } },
    });
    const { deviceToken } = await accounts.login(
      { email: OWNER, password: OWNER_PASSWORD },
      { ip: '198.51.100.200' },
    );
    // A distributed guesser: one failure from each of five addresses.
    for (let i = 0; i < 5; i++) {
      await assert.rejects(
        accounts.login({ email: OWNER, password: `guess ${i}` }, { ip: `198.51.100.${i}` }),
        (err) => codeOf(err) === 'invalid_credentials',
      );
    }
    const checked = f.verifies();
    let challenge: { challenge: string; difficulty: number } | undefined;
    await assert.rejects(
      accounts.login({ email: OWNER, password: OWNER_PASSWORD }, { ip: '198.51.100.50' }),
      (err) => {
        assert.equal(codeOf(err), 'pow_required');
        challenge = (err as AccountError).options.details as typeof challenge;
        return true;
      },
    );
    assert.equal(f.verifies(), checked, 'no password checked without the proof of work');
    assert.ok(challenge);
    await assert.rejects(
      accounts.login(
        { email: OWNER, password: OWNER_PASSWORD },
        { ip: '198.51.100.50', pow: { challenge: challenge.challenge, nonce: unsolvedNonce(challenge) } },
      ),
      (err) => codeOf(err) === 'pow_required',
    );
    const solved = {
      challenge: challenge.challenge,
      nonce: solvePow(challenge.challenge, challenge.difficulty),
    };
    const login = await accounts.login(
      { email: OWNER, password: OWNER_PASSWORD },
      { ip: '198.51.100.50', pow: solved },
    );
    assert.equal(login.user.email, OWNER);
    await assert.rejects(
      accounts.login({ email: OWNER, password: OWNER_PASSWORD }, { ip: '198.51.100.51', pow: solved }),
      (err) => codeOf(err) === 'pow_required',
      'a solution is used once',
    );
    // The owner's known browser is never asked.
    await accounts.login({ email: OWNER, password: OWNER_PASSWORD }, { ip: '198.51.100.60', deviceToken });
  });

  test('re-checking the password of a signed-in user is reserved too', async () => {
    const accounts = f.accounts();
    const user = await f.store.users.byEmail(OWNER);
    assert.ok(user);
    const start = f.verifies();
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) => accounts.deleteAccount(user.id, `wrong ${i}`, { ip: null })),
    );
    assert.ok(f.verifies() - start <= 10, `${f.verifies() - start} passwords checked`);
    assert.ok(results.some((r) => r.status === 'rejected' && codeOf(r.reason) === 'rate_limited'));
  });
});

/** A nonce that does not solve the challenge (at 4 bits a fixed string solves one challenge in 16). */
function unsolvedNonce(c: { challenge: string; difficulty: number }): string {
  for (let i = 0; ; i++) {
    const nonce = `forged-${i}`;
    if (leadingZeroBits(powHash(c.challenge, nonce)) < c.difficulty) return nonce;
  }
}
