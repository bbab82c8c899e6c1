/**
 * Single sign-on against a real OpenID provider (`oidc-provider` on 127.0.0.1, reached through the
 * guarded fetcher thanks to `fetch.allowPrivateHosts`, as an admin would allow an internal IdP):
 * account creation and linking, the admin claim, domain and verification refusals, forged state,
 * replayed code, an expired ID token, back-channel logout and local passwords turned off.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { OidcError } from '../src/core/accounts/oidc-errors.ts';
import { OidcSignIn } from '../src/core/accounts/oidc-sign-in.ts';
import { Sessions } from '../src/core/accounts/sessions.ts';
import { createGuardedFetch } from '../src/inference/net/guarded-fetch.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';
import { CLIENT_ID, listenTestIdp, oidcConfig, startIdpFor, TestBrowser, type TestIdp } from './oidc-idp.ts';

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`single sign-on (OIDC, ${kind})`, () => {
    let idp: TestIdp;
    let s: TestServer;
    let callback: string;

    before(async () => {
      // ID tokens live 60 s, so a clock 5 minutes ahead sees them expired (the expired-token test).
      idp = await listenTestIdp({ idTokenTtlSeconds: 60 });
      s = await startTestServer({ store: kind, config: oidcConfig(idp.issuer) });
      callback = `${s.baseUrl}/api/auth/oidc/corp/callback`;
      startIdpFor(idp, s.baseUrl, { backchannelLogout: true });
      // The first account (the admin) signs up with a password and the setup code.
      await s.signup('root@elsewhere.test');
    });
    after(async () => {
      await s?.close();
      await idp?.close();
    });

    /** Starts at Ponder, signs in at the provider as `login`, returns the callback URL (not yet fetched). */
    async function toCallback(browser: TestBrowser, login: string, returnTo?: string): Promise<URL> {
      const query = returnTo ? `?returnTo=${encodeURIComponent(returnTo)}` : '';
      const start = await browser.request(`${s.baseUrl}/api/auth/oidc/corp/start${query}`);
      assert.equal(start.status, 303);
      const location = start.headers.get('location') ?? '';
      assert.ok(location.startsWith(`${idp.issuer}/auth?`), location);
      const auth = new URL(location);
      assert.equal(auth.searchParams.get('code_challenge_method'), 'S256');
      assert.ok(auth.searchParams.get('state') && auth.searchParams.get('nonce'));
      return browser.signInAtIdp(location, login, callback);
    }

    /** A whole login; returns the callback's answer and the session cookie, if any. */
    async function login(login: string, browser = new TestBrowser(), returnTo?: string) {
      const url = await toCallback(browser, login, returnTo);
      const res = await browser.request(url.href);
      await res.body?.cancel();
      const session = browser.cookie(s.baseUrl, 'ponder_session');
      return {
        res,
        location: res.headers.get('location') ?? '',
        cookie: session ? `ponder_session=${session}` : null,
        browser,
      };
    }

    async function me(cookie: string | null) {
      const res = await s.request('/api/auth/me', cookie ? { cookie } : {});
      return {
        status: res.status,
        user:
          res.status === 200
            ? ((await res.json()) as { user: { id: string; email: string; isAdmin: boolean } }).user
            : null,
      };
    }

    test('the login page learns the providers; the first login creates an account, the next one finds it', async () => {
      const providers = await (await s.request('/api/auth/oidc/providers')).json();
      assert.deepEqual(providers, { providers: [{ id: 'corp', name: 'Corp SSO' }], localPasswords: true });

      idp.accounts.set('alice-sub', { email: 'Alice@corp.test', email_verified: true, name: 'Alice' });
      const first = await login('alice-sub', new TestBrowser(), '/c/some-chat');
      assert.equal(first.res.status, 303);
      assert.equal(first.location, '/c/some-chat');
      const alice = await me(first.cookie);
      assert.equal(alice.status, 200);
      assert.equal(alice.user?.email, 'alice@corp.test');
      assert.equal(alice.user?.isAdmin, false);
      const stored = await s.store.users.byId(alice.user?.id ?? '');
      assert.equal(stored?.displayName, 'Alice');
      // No password matches an SSO-only account.
      const pw = await s.request('/api/auth/login', {
        method: 'POST',
        json: { email: 'alice@corp.test', password: '!sso-only' },
      });
      assert.equal(pw.status, 401);

      // A second login (another browser, so the provider asks again) links to the same account.
      const second = await login('alice-sub');
      assert.equal((await me(second.cookie)).user?.id, alice.user?.id);
      assert.equal((await s.store.identities.list(alice.user?.id ?? '')).length, 1);
      const events = (await s.store.audit.list({ userId: alice.user?.id ?? '' })).filter(
        (e) => e.event === 'oidc_login',
      );
      assert.deepEqual(
        events.map((e) => e.detail?.how),
        ['linked_identity', 'created'],
      );
      assert.ok(!JSON.stringify(events).includes('alice@'), 'no email in the audit log');
    });

    test('an existing local account is linked by a verified email, never by an unverified one', async () => {
      const local = await s.signup('bob@corp.test');
      // Unverified: refused, not linked, nothing created.
      idp.accounts.set('bob-unverified', { email: 'bob@corp.test', email_verified: false });
      const refused = await login('bob-unverified');
      assert.equal(refused.location, '/login?sso_error=oidc_unverified');
      assert.equal(refused.cookie, null);
      assert.equal(await s.store.identities.find('corp', 'bob-unverified'), null);
      assert.deepEqual(await s.store.identities.list(local.user.id), []);
      // Verified: the same account, now linked; its password still works while local passwords are on.
      idp.accounts.set('bob-sub', { email: 'BOB@corp.test', email_verified: true });
      const linked = await login('bob-sub');
      assert.equal((await me(linked.cookie)).user?.id, local.user.id);
      assert.equal((await s.store.identities.find('corp', 'bob-sub'))?.user.id, local.user.id);
      const how = (await s.store.audit.list({ userId: local.user.id })).find((e) => e.event === 'oidc_login');
      assert.equal(how?.detail?.how, 'linked_by_email');
    });

    test('the admin claim grants admin rights on one login and takes them away on the next', async () => {
      idp.accounts.set('carol-sub', {
        email: 'carol@corp.test',
        email_verified: true,
        groups: ['staff', 'ponder-admins'],
      });
      const granted = await login('carol-sub');
      const carol = await me(granted.cookie);
      assert.equal(carol.user?.isAdmin, true);
      assert.equal((await s.request('/api/admin/users', { cookie: granted.cookie ?? '' })).status, 200);
      idp.accounts.set('carol-sub', { email: 'carol@corp.test', email_verified: true, groups: ['staff'] });
      const revoked = await login('carol-sub');
      assert.equal((await me(revoked.cookie)).user?.isAdmin, false);
      assert.equal((await s.store.users.byId(carol.user?.id ?? ''))?.isAdmin, false);
    });

    test('refusals: a domain not allowed, no email, a disabled account', async () => {
      idp.accounts.set('mallory-sub', { email: 'mallory@evil.test', email_verified: true });
      const domain = await login('mallory-sub');
      assert.equal(domain.location, '/login?sso_error=oidc_domain');
      assert.equal(domain.cookie, null);
      assert.equal(await s.store.users.byEmail('mallory@evil.test'), null);

      idp.accounts.set('nomail-sub', {});
      assert.equal((await login('nomail-sub')).location, '/login?sso_error=oidc_no_email');

      idp.accounts.set('dave-sub', { email: 'dave@corp.test', email_verified: true });
      const dave = await me((await login('dave-sub')).cookie);
      await s.store.users.update(dave.user?.id ?? '', { disabled: true });
      const disabled = await login('dave-sub');
      assert.equal(disabled.location, '/login?sso_error=oidc_disabled');
      assert.equal(disabled.cookie, null);
      const failures = (await s.store.audit.list({ limit: 50 })).filter(
        (e) => e.event === 'oidc_login_failed',
      );
      assert.ok(failures.some((e) => e.detail?.reason === 'oidc_domain'));
      assert.ok(failures.some((e) => e.detail?.reason === 'oidc_disabled'));
    });

    test('a forged state, a missing flow cookie and a replayed code are refused', async () => {
      idp.accounts.set('erin-sub', { email: 'erin@corp.test', email_verified: true });
      // Forged state: the provider's answer does not belong to this browser's flow.
      const forged = new TestBrowser();
      const url = await toCallback(forged, 'erin-sub');
      url.searchParams.set('state', 'forged-state-value');
      const res = await forged.request(url.href);
      assert.equal(res.headers.get('location'), '/login?sso_error=oidc_state');
      assert.equal(forged.cookie(s.baseUrl, 'ponder_session'), undefined);

      // A callback without the flow cookie (login CSRF: the attacker's code in the victim's browser).
      const attacker = new TestBrowser();
      const stolen = await toCallback(attacker, 'erin-sub');
      const victim = new TestBrowser();
      const csrf = await victim.request(stolen.href);
      assert.equal(csrf.headers.get('location'), '/login?sso_error=oidc_state');
      assert.equal(victim.cookie(s.baseUrl, 'ponder_session'), undefined);

      // Replay: the same callback (code and flow cookie) a second time.
      const browser = new TestBrowser();
      const callbackUrl = await toCallback(browser, 'erin-sub');
      const flow = browser.cookie(s.baseUrl, 'ponder_oidc') ?? '';
      const ok = await browser.request(callbackUrl.href);
      assert.equal(ok.status, 303);
      assert.ok(browser.cookie(s.baseUrl, 'ponder_session'));
      const replay = new TestBrowser();
      replay.setCookie(s.baseUrl, 'ponder_oidc', flow);
      const again = await replay.request(callbackUrl.href);
      assert.equal(again.headers.get('location'), '/login?sso_error=oidc_failed');
      const why = s.logs.filter((l) => l.includes('oidc sign-in failed')).at(-1) ?? '';
      assert.match(why, /invalid_grant/, 'the provider refused the used code');
      assert.equal(replay.cookie(s.baseUrl, 'ponder_session'), undefined);
    });

    test('cancelling at the provider comes back as "did not sign you in"', async () => {
      const browser = new TestBrowser();
      const start = await browser.request(`${s.baseUrl}/api/auth/oidc/corp/start`);
      let url = start.headers.get('location') ?? '';
      // Follow to the provider's login page, then press its "Cancel" (devInteractions' abort link).
      for (let i = 0; i < 5 && !url.includes('/interaction/'); i++) {
        const res = await browser.request(url);
        await res.body?.cancel();
        url = new URL(res.headers.get('location') ?? '', url).href;
      }
      const abort = await browser.request(`${url.replace(/\/$/, '')}/abort`);
      await abort.body?.cancel();
      const back = await browser.signInAtIdp(
        new URL(abort.headers.get('location') ?? '', url).href,
        'x',
        callback,
      );
      assert.equal(back.searchParams.get('error'), 'access_denied');
      const res = await browser.request(back.href);
      assert.equal(res.headers.get('location'), '/login?sso_error=oidc_denied');
      assert.equal(browser.cookie(s.baseUrl, 'ponder_session'), undefined);
    });

    test('an expired ID token is refused (a clock five minutes ahead of 60-second ID tokens)', async () => {
      idp.accounts.set('frank-sub', { email: 'frank@corp.test', email_verified: true });
      const later = new OidcSignIn({
        config: s.config.oidc,
        store: s.store,
        sessions: new Sessions(s.store),
        fetch: createGuardedFetch({ allowPrivateHosts: ['127.0.0.1'] }),
        defaultPlan: 'free',
        now: () => new Date(Date.now() + 5 * 60_000),
      });
      const { url, flowCookie } = await later.start('corp', { redirectUri: callback });
      const returned = await new TestBrowser().signInAtIdp(url.href, 'frank-sub', callback);
      await assert.rejects(
        later.finish('corp', {
          callbackUrl: returned,
          redirectUri: callback,
          flowCookie,
          client: { ip: null },
        }),
        (err: unknown) =>
          err instanceof OidcError && err.code === 'oidc_failed' && /"exp"/.test(err.detail ?? ''),
      );
      assert.equal(await s.store.users.byEmail('frank@corp.test'), null);
    });

    test('back-channel logout from the provider ends the session; a forged logout token is refused', async () => {
      idp.accounts.set('grace-sub', { email: 'grace@corp.test', email_verified: true });
      const browser = new TestBrowser();
      const { cookie } = await login('grace-sub', browser);
      assert.equal((await me(cookie)).status, 200);
      idp.accounts.set('walter-sub', { email: 'walter@corp.test', email_verified: true });
      const other = await login('walter-sub');
      await browser.signOutAtIdp(idp.issuer);
      assert.deepEqual(idp.backchannelErrors, []);
      assert.equal((await me(cookie)).status, 401, 'the provider session ended, so did Ponder’s');
      assert.equal((await me(other.cookie)).status, 200, 'another person’s session stays');
      const grace = await s.store.users.byEmail('grace@corp.test');
      const ended = (await s.store.audit.list({ userId: grace?.id ?? '' })).find(
        (e) => e.event === 'oidc_logout',
      );
      assert.equal(ended?.detail?.by, 'sid', 'matched by the provider session id');

      const forged = await fetch(`${s.baseUrl}/api/auth/oidc/corp/backchannel-logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ logout_token: forgedJwt() }).toString(),
      });
      assert.equal(forged.status, 400);
      assert.equal(((await forged.json()) as { error: string }).error, 'invalid_request');
      assert.equal((await me(other.cookie)).status, 200);
      const empty = await fetch(`${s.baseUrl}/api/auth/oidc/corp/backchannel-logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: '',
      });
      assert.equal(empty.status, 400);
    });

    test('an account made by single sign-on deletes itself by typing its email from a fresh sign-in', async () => {
      idp.accounts.set('oscar-sub', { email: 'oscar@corp.test', email_verified: true });
      const { cookie } = await login('oscar-sub');
      const oscar = await me(cookie);
      const wrong = await s.request('/api/auth/account', {
        method: 'DELETE',
        cookie: cookie ?? '',
        json: { password: 'not-my-email@corp.test' },
      });
      assert.equal(wrong.status, 400);
      assert.match(((await wrong.json()) as { error: { message: string } }).error.message, /type your email/);
      // No password to change on such an account.
      const change = await s.request('/api/auth/password', {
        method: 'POST',
        cookie: cookie ?? '',
        json: { currentPassword: 'oscar@corp.test', newPassword: 'a brand new long passphrase' },
      });
      assert.equal(change.status, 400);
      const gone = await s.request('/api/auth/account', {
        method: 'DELETE',
        cookie: cookie ?? '',
        json: { password: 'Oscar@corp.test' },
      });
      assert.equal(gone.status, 204);
      assert.equal(await s.store.users.byId(oscar.user?.id ?? ''), null);
      assert.equal(await s.store.identities.find('corp', 'oscar-sub'), null);
      // Signing in again makes a new account (the provider's policy allows it).
      const again = await me((await login('oscar-sub')).cookie);
      assert.notEqual(again.user?.id, oscar.user?.id);
    });

    test('a walk of the OIDC routes with a real provider: no 5xx, nobody else’s data, sessions only from a flow', async () => {
      idp.accounts.set('uma-sub', { email: 'uma@corp.test', email_verified: true });
      const uma = await login('uma-sub');
      const routes = s.app.ponderRoutes.filter((r) => r.url.startsWith('/api/auth/oidc'));
      assert.deepEqual(routes.map((r) => `${r.method} ${r.url}`).sort(), [
        'GET /api/auth/oidc/:provider/callback',
        'GET /api/auth/oidc/:provider/start',
        'GET /api/auth/oidc/providers',
        'POST /api/auth/oidc/:provider/backchannel-logout',
      ]);
      for (const route of routes) {
        assert.ok(route.public, `${route.url} is public`);
        for (const cookie of [undefined, uma.cookie ?? undefined]) {
          const res = await s.request(route.url.replace(':provider', 'corp'), {
            method: route.method,
            redirect: 'manual',
            ...(cookie ? { cookie } : {}),
            ...(route.method === 'POST' ? { json: {} } : {}),
          });
          const body = await res.text();
          assert.ok(res.status < 500, `${route.method} ${route.url} → ${res.status}`);
          assert.ok(
            !/@corp\.test|ponder_session=/.test(body + res.headers.getSetCookie().join()),
            `${route.url} leaks nothing`,
          );
        }
      }
      assert.equal((await me(uma.cookie)).status, 200, 'the walk ended no session');
    });

    test('bad requests: unknown provider 404, oversize or unknown start parameters 400, a foreign returnTo goes home', async () => {
      assert.equal((await s.request('/api/auth/oidc/nope/start')).status, 404);
      assert.equal((await s.request('/api/auth/oidc/nope/callback?code=x&state=y')).status, 404);
      // Providers add their own parameters (Google: scope, authuser, hd): ignored, as RFC 6749 says.
      const extra = await s.request('/api/auth/oidc/corp/callback?code=x&state=y&authuser=0&hd=corp.test', {
        redirect: 'manual',
      });
      assert.equal(extra.headers.get('location'), '/login?sso_error=oidc_state');
      assert.equal((await s.request(`/api/auth/oidc/corp/callback?code=${'x'.repeat(5000)}`)).status, 400);
      assert.equal(
        (await s.request('/api/auth/oidc/corp/start?next=/x')).status,
        400,
        'start names its one parameter',
      );
      const browser = new TestBrowser();
      idp.accounts.set('heidi-sub', { email: 'heidi@corp.test', email_verified: true });
      const { location } = await login('heidi-sub', browser, '//evil.test/phish');
      assert.equal(location, '/');
      // The callback leaks nothing to a caller without a flow: the same redirect, no body.
      const bare = await s.request('/api/auth/oidc/corp/callback?code=x&state=y', { redirect: 'manual' });
      assert.equal(bare.status, 303);
      assert.equal(bare.headers.get('location'), '/login?sso_error=oidc_state');
      assert.equal(await bare.text(), '');
      for (const line of s.logs)
        assert.ok(!/CLIENT_SECRET|a-long-enough-client-secret/.test(line), 'no secret in logs');
    });
  });
}

/** A well-formed logout token signed by a key the provider never had. */
function forgedJwt(): string {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const header = enc({ alg: 'RS256', typ: 'logout+jwt', kid: 'forged' });
  const payload = enc({
    iss: 'http://127.0.0.1',
    aud: CLIENT_ID,
    iat: Math.floor(Date.now() / 1000),
    jti: 'forged-jti',
    sub: 'walter-sub',
    events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
  });
  return `${header}.${payload}.${Buffer.from('not-a-signature').toString('base64url')}`;
}
