import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../src/server/testing.ts';

type ErrorBody = { error: { code: string; message: string; details?: { field?: string } } };

async function createKey(s: TestServer, cookie: string, name: string): Promise<string> {
  const res = await s.request('/api/keys', { method: 'POST', cookie, json: { name } });
  assert.equal(res.status, 201);
  return ((await res.json()) as { key: string }).key;
}

const modelsWith = (s: TestServer, key: string) =>
  s.request('/v1/models', { headers: { authorization: `Bearer ${key}` } });

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`password change and API keys (${kind})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer({ store: kind });
    });
    after(() => s.close());

    test('revokeApiKeys: true revokes every key (401 on /v1/models), audited; false keeps them', async () => {
      const { cookie, user } = await s.signup('keys-revoke@example.com');
      const keys = [await createKey(s, cookie, 'laptop'), await createKey(s, cookie, 'ci')];
      for (const key of keys) assert.equal((await modelsWith(s, key)).status, 200);

      // Three changes in a row: option absent, false, then true; only the last revokes.
      const steps = [
        [TEST_PASSWORD, 'violet lantern over quiet dunes', undefined],
        ['violet lantern over quiet dunes', 'amber kettle beneath frozen pines', false],
        ['amber kettle beneath frozen pines', 'copper violin across misty harbours', true],
      ] as const;
      for (const [currentPassword, newPassword, revokeApiKeys] of steps) {
        const json = {
          currentPassword,
          newPassword,
          ...(revokeApiKeys === undefined ? {} : { revokeApiKeys }),
        };
        const res = await s.request('/api/auth/password', { method: 'POST', cookie, json });
        assert.equal(res.status, 204);
        if (revokeApiKeys) continue;
        for (const key of keys)
          assert.equal((await modelsWith(s, key)).status, 200, `kept (${revokeApiKeys})`);
      }
      for (const key of keys) {
        const denied = await modelsWith(s, key);
        assert.equal(denied.status, 401);
      }
      const listed = (await (await s.request('/api/keys', { cookie })).json()) as { keys: unknown[] };
      assert.deepEqual(listed.keys, []);

      const events = await s.store.audit.list({ userId: user.id, limit: 50 });
      const revoked = events.filter((e) => e.event === 'api_key_revoked');
      assert.equal(revoked.length, 2);
      for (const e of revoked) assert.equal(e.detail?.reason, 'password_changed');
      const changes = events.filter((e) => e.event === 'password_changed').map((e) => e.detail);
      assert.deepEqual(changes, [{ revokedApiKeys: 2 }, { revokedApiKeys: 0 }, { revokedApiKeys: 0 }]);
    });

    test("revoking keys on a password change leaves other users' keys alone", async () => {
      const a = await s.signup('keys-a@example.com');
      const b = await s.signup('keys-b@example.com');
      const keyB = await createKey(s, b.cookie, 'b');
      await createKey(s, a.cookie, 'a');
      const res = await s.request('/api/auth/password', {
        method: 'POST',
        cookie: a.cookie,
        json: {
          currentPassword: TEST_PASSWORD,
          newPassword: 'copper violin across misty harbours',
          revokeApiKeys: true,
        },
      });
      assert.equal(res.status, 204);
      assert.equal((await modelsWith(s, keyB)).status, 200);
    });

    test('a wrongly typed or unknown field is a 400 and changes nothing', async () => {
      const { cookie } = await s.signup('keys-bad@example.com');
      const key = await createKey(s, cookie, 'k');
      for (const json of [
        {
          currentPassword: TEST_PASSWORD,
          newPassword: 'copper violin across misty harbours',
          revokeApiKeys: 'yes',
        },
        {
          currentPassword: TEST_PASSWORD,
          newPassword: 'copper violin across misty harbours',
          revokeApiKeys: 1,
        },
        {
          currentPassword: TEST_PASSWORD,
          newPassword: 'copper violin across misty harbours',
          revokeKeys: true,
        },
      ]) {
        const res = await s.request('/api/auth/password', { method: 'POST', cookie, json });
        assert.equal(res.status, 400, JSON.stringify(json));
        assert.equal(((await res.json()) as ErrorBody).error.code, 'invalid_request');
      }
      assert.equal((await modelsWith(s, key)).status, 200);
      const login = await s.request('/api/auth/login', {
        method: 'POST',
        json: { email: 'keys-bad@example.com', password: TEST_PASSWORD },
      });
      assert.equal(login.status, 200, 'the password was not changed');
    });

    test('a weak new password is refused with zxcvbn feedback, keys untouched', async () => {
      const { cookie } = await s.signup('grace.hopper@example.com');
      const key = await createKey(s, cookie, 'k');
      await s.request('/api/auth/me', { method: 'PATCH', cookie, json: { displayName: 'Amazing Grace' } });
      for (const [newPassword, hint] of [
        ['grace.hoppergrace.hopper', /your email address, your name/],
        ['amazinggrace', /your email address, your name/],
        ['qwertyuiop', /frequently used password/],
      ] as const) {
        const res = await s.request('/api/auth/password', {
          method: 'POST',
          cookie,
          json: { currentPassword: TEST_PASSWORD, newPassword, revokeApiKeys: true },
        });
        assert.equal(res.status, 400, newPassword);
        const body = (await res.json()) as ErrorBody;
        assert.equal(body.error.code, 'weak_password');
        assert.equal(body.error.details?.field, 'newPassword');
        assert.match(body.error.message, hint, newPassword);
      }
      assert.equal((await modelsWith(s, key)).status, 200);
    });
  });
}

describe('sign-up with a registered email (documented: sign-up reveals it)', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ deps: { throttle: { signupPerIp: { limit: 4, windowMs: 60_000 } } } });
  });
  after(() => s.close());

  test('answers 409 email_taken without a session; the probe counts toward the per-IP limit', async () => {
    await s.signup('taken@example.com');
    const signup = (email: string, password = TEST_PASSWORD) =>
      s.request('/api/auth/signup', { method: 'POST', json: { email, password } });

    const taken = await signup(' Taken@Example.com ');
    assert.equal(taken.status, 409);
    assert.deepEqual(await taken.json(), {
      error: {
        code: 'email_taken',
        message: 'An account with this email already exists. Log in instead.',
        details: { field: 'email' },
      },
    });
    assert.equal(taken.headers.getSetCookie().length, 0);
    assert.equal((await s.store.users.list({ limit: 100 })).length, 1);

    // A weak password is judged before the email is looked up: a probe needs a strong password.
    const weakOnTaken = await signup('taken@example.com', 'password123!');
    assert.equal(weakOnTaken.status, 400);
    assert.equal(((await weakOnTaken.json()) as ErrorBody).error.code, 'weak_password');

    // 1 sign-up + 2 probes so far; the fourth attempt is the last allowed, the fifth is limited.
    assert.equal((await signup('taken@example.com')).status, 409);
    const limited = await signup('taken@example.com');
    assert.equal(limited.status, 429);
    assert.equal(((await limited.json()) as ErrorBody).error.code, 'rate_limited');
    assert.ok(limited.headers.get('retry-after'));
  });
});
