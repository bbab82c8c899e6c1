/**
 * Single sign-on in real Chromium: the login page shows "Sign in with <name>" for the configured
 * provider, the button goes through the provider's (real `oidc-provider`) login and consent pages and
 * comes back signed in; a refused sign-in comes back to the login page with the reason.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../src/server/testing.ts';
import { listenTestIdp, type TestIdp } from './oidc-idp.ts';
import { ensureWebBuild, launchChromium, skipWithoutChromium } from './xss-browser.ts';

const T = 20_000;

describe('single sign-on in Chromium', { skip: skipWithoutChromium, timeout: 180_000 }, () => {
  let idp: TestIdp;
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    await ensureWebBuild();
    idp = await listenTestIdp();
    server = await startTestServer({
      config: {
        fetch: { allowPrivateHosts: ['127.0.0.1'] },
        oidc: {
          providers: [
            {
              id: 'corp',
              name: 'Corp SSO',
              issuer: idp.issuer,
              clientId: 'ponder-e2e',
              clientSecret: 'a-long-enough-client-secret-for-the-e2e',
              allowedEmailDomains: ['corp.test'],
              createAccounts: true,
              assumeEmailVerified: false,
            },
          ],
          localPasswords: true,
        },
      },
    });
    idp.start({
      clientId: 'ponder-e2e',
      clientSecret: 'a-long-enough-client-secret-for-the-e2e',
      redirectUris: [`${server.baseUrl}/api/auth/oidc/corp/callback`],
    });
    // The admin exists (password sign-up with the setup code); SSO users are the others.
    await server.signup('admin@elsewhere.test');
    idp.accounts.set('alice', { email: 'alice@corp.test', email_verified: true, name: 'Alice' });
    browser = await launchChromium();
    const context = await browser.newContext({ locale: 'en-US' });
    page = await context.newPage();
    page.setDefaultTimeout(T);
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await idp?.close();
  });

  test('the login page shows "Sign in with Corp SSO", and the button signs in through the provider', async () => {
    await page.goto(`${server.baseUrl}/login`);
    const button = page.getByRole('link', { name: 'Sign in with Corp SSO' });
    await button.waitFor();
    // The password form stays while local passwords are on.
    await page.getByLabel('Password').waitFor();
    await button.click();
    // The provider's own pages: login, then consent.
    await page.waitForURL((url) => url.origin === idp.issuer);
    await page.locator('input[name="login"]').fill('alice');
    await page.locator('input[name="password"]').fill('any');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL((url) => url.origin === server.baseUrl && url.pathname === '/');
    const me = await page.evaluate(async () => {
      const res = await fetch('/api/auth/me');
      return { status: res.status, body: (await res.json()) as { user?: { email: string } } };
    });
    assert.equal(me.status, 200);
    assert.equal(me.body.user?.email, 'alice@corp.test');
    assert.deepEqual(pageErrors, []);
  });

  test('a refused sign-in comes back to the login page saying why', async () => {
    await page.context().clearCookies();
    await page.goto(`${server.baseUrl}/login?sso_error=oidc_domain`);
    await page.getByRole('alert').filter({ hasText: 'email domain may not sign in here' }).waitFor();
  });
});
