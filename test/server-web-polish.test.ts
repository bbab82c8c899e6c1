/**
 * What the web app's rough edges needed from the server: the sign-up mode for the sign-up page, the
 * configured plans for the admin page's plan select (and PATCH refusing others), and `/api/models`
 * answering without starting the embedded engine.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ApiAdminUserList, ApiSetupInfo } from '../src/api/auth.ts';
import type { ModelsResponse } from '../src/api/conversations.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';

describe('sign-up page info', () => {
  test('GET /api/auth/setup says the sign-up mode', async () => {
    for (const signupMode of ['open', 'invite', 'closed'] as const) {
      const s = await startTestServer({ config: { signupMode } });
      try {
        const info = (await (await s.request('/api/auth/setup')).json()) as ApiSetupInfo;
        assert.deepEqual(info, { setupRequired: true, signupMode });
      } finally {
        await s.close();
      }
    }
  });
});

describe('admin plans and the model list', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ withModel: true });
  });
  after(async () => {
    await s?.close();
  });

  test('GET /api/admin/users lists the configured plans; PATCH takes only those', async () => {
    const admin = await s.signup();
    const other = await s.signup();
    const res = await s.request('/api/admin/users', { cookie: admin.cookie });
    assert.equal(res.status, 200);
    const list = (await res.json()) as ApiAdminUserList;
    assert.deepEqual(list.plans.sort(), Object.keys(s.config.plans).sort());
    assert.ok(list.users.some((u) => u.id === other.user.id));

    const path = `/api/admin/users/${other.user.id}`;
    const typo = await s.request(path, { method: 'PATCH', cookie: admin.cookie, json: { plan: 'prp' } });
    assert.equal(typo.status, 400);
    const body = (await typo.json()) as { error: { message: string; details?: { field?: string } } };
    assert.equal(body.error.details?.field, 'plan');
    assert.match(body.error.message, /known plans: .*pro/);
    const good = await s.request(path, { method: 'PATCH', cookie: admin.cookie, json: { plan: 'pro' } });
    assert.equal(good.status, 200);
    assert.equal(((await good.json()) as { user: { plan: string } }).user.plan, 'pro');
  });

  test('GET /api/models answers from what the server knows, without starting the engine', async () => {
    const { cookie } = await s.signup();
    const res = await s.request('/api/models', { cookie });
    assert.equal(res.status, 200);
    const body = (await res.json()) as ModelsResponse;
    assert.deepEqual(
      body.models.map((m) => [m.id, m.state]),
      [['tiny', 'ready']],
    );
    assert.equal(body.defaultModel, 'tiny');
    // The engine child process starts with the first generation, not with a listing.
    const provider = s.provider as { enginePid?: number } | undefined;
    assert.equal(provider?.enginePid, undefined);
  });
});
