import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { authenticateApiKey } from '../src/core/accounts/index.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../src/server/testing.ts';

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`API keys and admin (${kind})`, () => {
    let s: TestServer;
    let admin: { cookie: string; user: { id: string } };
    let user: { cookie: string; user: { id: string } };
    before(async () => {
      s = await startTestServer({ store: kind });
      admin = await s.signup('admin@example.com');
      user = await s.signup('user@example.com');
    });
    after(() => s.close());

    test('create, list, authenticate and revoke an API key', async () => {
      let res = await s.request('/api/keys', {
        method: 'POST',
        cookie: user.cookie,
        json: { name: 'laptop' },
      });
      assert.equal(res.status, 201);
      const created = (await res.json()) as { id: string; key: string; prefix: string; lastUsedAt: null };
      assert.match(created.key, /^pk-[A-Za-z0-9_-]{43}$/);
      assert.equal(created.prefix, created.key.slice(0, 9));

      const principal = await authenticateApiKey(s.store, created.key);
      assert.equal(principal?.user.id, user.user.id);
      // One character changed (never to itself: a key ending in 'A' made this pass 1 time in 64).
      const altered = `${created.key.slice(0, -1)}${created.key.endsWith('A') ? 'B' : 'A'}`;
      assert.equal(await authenticateApiKey(s.store, altered), null);
      assert.equal(await authenticateApiKey(s.store, 'pk-short'), null);

      res = await s.request('/api/keys', { cookie: user.cookie });
      const { keys } = (await res.json()) as { keys: Array<Record<string, unknown>> };
      assert.equal(keys.length, 1);
      assert.equal(keys[0]?.prefix, created.prefix);
      assert.ok(keys[0]?.lastUsedAt, 'last use recorded');
      assert.ok(!JSON.stringify(keys).includes(created.key));

      // Other users cannot see or revoke it.
      res = await s.request('/api/keys', { cookie: admin.cookie });
      assert.equal(((await res.json()) as { keys: unknown[] }).keys.length, 0);
      res = await s.request(`/api/keys/${created.id}`, { method: 'DELETE', cookie: admin.cookie });
      assert.equal(res.status, 404);

      res = await s.request(`/api/keys/${created.id}`, { method: 'DELETE', cookie: user.cookie });
      assert.equal(res.status, 204);
      assert.equal(await authenticateApiKey(s.store, created.key), null);
    });

    test('/v1 accepts a key as Bearer or x-api-key, never a cookie; revoked and disabled keys get 401', async () => {
      const res = await s.request('/api/keys', { method: 'POST', cookie: user.cookie, json: { name: 'v1' } });
      const { id, key } = (await res.json()) as { id: string; key: string };
      for (const headers of [{ authorization: `Bearer ${key}` }, { 'x-api-key': key }] as Record<
        string,
        string
      >[]) {
        const r = await s.request('/v1/models', { headers });
        assert.equal(r.status, 200, JSON.stringify(Object.keys(headers)));
        await r.arrayBuffer();
      }
      for (const init of [
        { headers: { authorization: `Bearer ${key.slice(0, -2)}xx` } },
        { headers: { authorization: 'Basic abc' } },
        { cookie: user.cookie },
        {},
      ]) {
        const r = await s.request('/v1/models', init);
        assert.equal(r.status, 401);
        const body = (await r.json()) as { error: { message: string; type: string } };
        assert.equal(typeof body.error.message, 'string');
        assert.equal(typeof body.error.type, 'string');
      }
      const other = await s.signup();
      const created = (await (
        await s.request('/api/keys', { method: 'POST', cookie: other.cookie, json: { name: 'x' } })
      ).json()) as { key: string };
      await s.store.users.update(other.user.id, { disabled: true });
      assert.equal((await s.request('/v1/models', { headers: { 'x-api-key': created.key } })).status, 401);
      await s.request(`/api/keys/${id}`, { method: 'DELETE', cookie: user.cookie });
      assert.equal(
        (await s.request('/v1/models', { headers: { authorization: `Bearer ${key}` } })).status,
        401,
      );
    });

    test('admin lists and patches users; non-admins get 404', async () => {
      let res = await s.request('/api/admin/users', { cookie: user.cookie });
      assert.equal(res.status, 404);
      res = await s.request('/api/admin/users', { cookie: admin.cookie });
      assert.equal(res.status, 200);
      const { users } = (await res.json()) as { users: Array<{ email: string; isAdmin: boolean }> };
      assert.ok(users.some((u) => u.email === 'user@example.com' && !u.isAdmin));
      assert.ok(!JSON.stringify(users).includes('argon2'));

      res = await s.request(`/api/admin/users/${user.user.id}`, {
        method: 'PATCH',
        cookie: admin.cookie,
        json: { plan: 'pro' },
      });
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as { user: { plan: string } }).user.plan, 'pro');
      res = await s.request(`/api/admin/users/${user.user.id}`, {
        method: 'PATCH',
        cookie: admin.cookie,
        json: { plan: 'platinum' },
      });
      assert.equal(res.status, 400);

      res = await s.request('/api/admin/status', { cookie: admin.cookie });
      const status = (await res.json()) as Record<string, number>;
      for (const field of ['slotsBusy', 'slotsTotal', 'queueDepth', 'generationsRunning', 'uptimeSeconds']) {
        assert.equal(typeof status[field], 'number', field);
      }
    });

    test('the last admin cannot remove their own admin flag; disabling ends sessions', async () => {
      let res = await s.request(`/api/admin/users/${admin.user.id}`, {
        method: 'PATCH',
        cookie: admin.cookie,
        json: { isAdmin: false },
      });
      assert.equal(res.status, 409);
      const target = await s.signup('target@example.com');
      res = await s.request(`/api/admin/users/${target.user.id}`, {
        method: 'PATCH',
        cookie: admin.cookie,
        json: { disabled: true },
      });
      assert.equal(res.status, 200);
      assert.equal((await s.request('/api/auth/me', { cookie: target.cookie })).status, 401);
      res = await s.request(`/api/admin/users/${target.user.id}`, { method: 'DELETE', cookie: admin.cookie });
      assert.equal(res.status, 204);
      assert.equal(await s.store.users.byId(target.user.id), null);
    });

    test('invites: created by admins, required in invite mode, single use', async () => {
      const res = await s.request('/api/admin/invites', { method: 'POST', cookie: admin.cookie, json: {} });
      assert.equal(res.status, 201);
      const { code } = (await res.json()) as { code: string };
      assert.ok(code.length >= 40);
      const inviteOnly = await startTestServer({ store: kind, config: { signupMode: 'invite' } });
      try {
        // The code belongs to the other server's database: refused here.
        let r = await inviteOnly.request('/api/auth/signup', {
          method: 'POST',
          json: { email: 'a@example.com', password: TEST_PASSWORD, inviteCode: code },
        });
        assert.equal(r.status, 403);
        assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'signup_closed');
        const { code: local } = await inviteOnly.app.ponder.admin.createInvite(null);
        r = await inviteOnly.request('/api/auth/signup', {
          method: 'POST',
          json: { email: 'a@example.com', password: TEST_PASSWORD },
        });
        assert.equal(r.status, 403);
        r = await inviteOnly.request('/api/auth/signup', {
          method: 'POST',
          json: {
            email: 'a@example.com',
            password: TEST_PASSWORD,
            inviteCode: local,
            setupCode: inviteOnly.setupCode,
          },
        });
        assert.equal(r.status, 201);
        r = await inviteOnly.request('/api/auth/signup', {
          method: 'POST',
          json: { email: 'b@example.com', password: TEST_PASSWORD, inviteCode: local },
        });
        assert.equal(r.status, 403);
      } finally {
        await inviteOnly.close();
      }
    });
  });
}

describe('closed sign-up', () => {
  test('answers 403 signup_closed', async () => {
    const s = await startTestServer({ config: { signupMode: 'closed' } });
    try {
      const r = await s.request('/api/auth/signup', {
        method: 'POST',
        json: { email: 'a@example.com', password: TEST_PASSWORD },
      });
      assert.equal(r.status, 403);
      assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'signup_closed');
    } finally {
      await s.close();
    }
  });
});
