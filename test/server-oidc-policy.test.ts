/**
 * Single sign-on policy against a real OpenID provider: local passwords turned off (password routes
 * answer 403, the first SSO login is made admin only by the admin claim), and an IdP on a private
 * address refused by the guarded fetcher until `fetch.allowPrivateHosts` allows it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PonderConfig } from '../src/config/schema.ts';
import { sessionCookieOf, startTestServer, type TestServer } from '../src/server/testing.ts';
import { listenTestIdp, oidcConfig, startIdpFor, TestBrowser, type TestIdp } from './oidc-idp.ts';

describe('single sign-on with local passwords turned off', () => {
  let idp: TestIdp;
  let s: TestServer;

  before(async () => {
    idp = await listenTestIdp();
    s = await startTestServer({
      config: oidcConfig(idp.issuer, { localPasswords: false }),
      // An admin made with `ponder user create --admin` exists (the break-glass path).
    });
    startIdpFor(idp, s.baseUrl);
  });
  after(async () => {
    await s?.close();
    await idp?.close();
  });

  test('password sign-up, login and change answer 403; single sign-on still works', async () => {
    const providers = await (await s.request('/api/auth/oidc/providers')).json();
    assert.equal((providers as { localPasswords: boolean }).localPasswords, false);
    const signup = await s.request('/api/auth/signup', {
      method: 'POST',
      json: { email: 'x@corp.test', password: 'correct horse battery staple', setupCode: s.setupCode },
    });
    assert.equal(signup.status, 403);
    assert.equal(((await signup.json()) as { error: { code: string } }).error.code, 'passwords_disabled');
    const loginRes = await s.request('/api/auth/login', {
      method: 'POST',
      json: { email: 'x@corp.test', password: 'whatever-it-is' },
    });
    assert.equal(loginRes.status, 403);

    // No account yet: the first SSO login without the admin claim is not made admin — it is refused.
    idp.accounts.set('ivan-sub', { email: 'ivan@corp.test', email_verified: true });
    const browser = new TestBrowser();
    const start = await browser.request(`${s.baseUrl}/api/auth/oidc/corp/start`);
    const cb = await browser.signInAtIdp(
      start.headers.get('location') ?? '',
      'ivan-sub',
      `${s.baseUrl}/api/auth/oidc/corp/callback`,
    );
    const refused = await browser.request(cb.href);
    assert.equal(refused.headers.get('location'), '/login?sso_error=oidc_setup');

    // With the admin claim, the first SSO login is the admin; the password change is refused to it too.
    idp.accounts.set('judy-sub', {
      email: 'judy@corp.test',
      email_verified: true,
      groups: ['ponder-admins'],
    });
    const judy = new TestBrowser();
    const judyStart = await judy.request(`${s.baseUrl}/api/auth/oidc/corp/start`);
    const judyCb = await judy.signInAtIdp(
      judyStart.headers.get('location') ?? '',
      'judy-sub',
      `${s.baseUrl}/api/auth/oidc/corp/callback`,
    );
    const done = await judy.request(judyCb.href);
    assert.equal(done.status, 303);
    const cookie = sessionCookieOf(done);
    const meRes = await s.request('/api/auth/me', { cookie });
    assert.equal(((await meRes.json()) as { user: { isAdmin: boolean } }).user.isAdmin, true);
    const change = await s.request('/api/auth/password', {
      method: 'POST',
      cookie,
      json: { currentPassword: 'x', newPassword: 'another long passphrase here' },
    });
    assert.equal(change.status, 403);
  });
});

describe('single sign-on: the provider is fetched through the guarded fetcher', () => {
  let idp: TestIdp;
  let s: TestServer;

  before(async () => {
    idp = await listenTestIdp();
    const config = oidcConfig(idp.issuer);
    // No `fetch.allowPrivateHosts`: 127.0.0.1 is a private address like any internal IdP.
    s = await startTestServer({ config: { oidc: config.oidc } as Partial<PonderConfig> });
    startIdpFor(idp, s.baseUrl);
  });
  after(async () => {
    await s?.close();
    await idp?.close();
  });

  test('an IdP on a private address is refused until an admin allows it', async () => {
    const res = await s.request('/api/auth/oidc/corp/start', { redirect: 'manual' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/login?sso_error=oidc_unavailable');
    assert.equal(res.headers.getSetCookie().filter((c) => c.startsWith('ponder_oidc=')).length, 0);
    assert.ok(
      s.logs.some((l) => l.includes('FetchRefused')),
      'the guarded fetcher refused it',
    );
  });
});
