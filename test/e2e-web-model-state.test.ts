/**
 * The web app before a model is ready, in real Chromium: the empty chat page says so before anyone
 * sends (plain words for users, the fix for admins; a download shows its progress); a send refused for
 * want of a model offers no pointless retry countdown and leaves no empty conversation behind.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { ModelStatus } from '../src/server/context.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';
import { ensureWebBuild, launchChromium, openWatchedPage, skipWithoutChromium } from './xss-browser.ts';

describe('web app before a model is ready', { skip: skipWithoutChromium, timeout: 180_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let status: ModelStatus = { state: 'missing' };
  const pageErrors: string[] = [];

  async function pageFor(cookie: string): Promise<{ context: BrowserContext; page: Page }> {
    return openWatchedPage(browser, server.baseUrl, { pageErrors }, { timeoutMs: 20_000, cookie });
  }

  let admin: string;
  let user: string;
  before(async () => {
    await ensureWebBuild();
    server = await startTestServer({ deps: { modelStatus: () => status } });
    admin = (await server.signup()).cookie;
    user = (await server.signup()).cookie;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('no model: users read plain words, admins the fix and a way to Admin → Models', async () => {
    const asUser = await pageFor(user);
    await asUser.page.goto(server.baseUrl);
    const notice = asUser.page.locator('.model-notice');
    await notice.waitFor();
    assert.match((await notice.textContent()) ?? '', /Ask the administrator/);
    assert.equal(await notice.getByRole('button').count(), 0);
    await asUser.context.close();

    const asAdmin = await pageFor(admin);
    await asAdmin.page.goto(server.baseUrl);
    const adminNotice = asAdmin.page.locator('.model-notice');
    await adminNotice.waitFor();
    assert.match((await adminNotice.textContent()) ?? '', /--model/);
    await adminNotice.getByRole('button', { name: 'Open Admin → Models' }).click();
    await asAdmin.page.waitForURL(/\/admin$/);
    await asAdmin.context.close();
  });

  test('a refused send: no retry countdown, the text stays, no empty conversation is left', async () => {
    const { context, page } = await pageFor(user);
    await page.goto(server.baseUrl);
    const composer = page.getByRole('textbox', { name: /Message Ponder/ });
    await composer.fill('Are you there?');
    await composer.press('Enter');
    const banner = page.locator('.error-banner');
    await banner.waitFor();
    const text = (await banner.textContent()) ?? '';
    assert.match(text, /Ask the administrator/);
    assert.doesNotMatch(text, /\.\.|\.\)\.|Retry/);
    assert.equal(await banner.getByRole('button', { name: /Retry/ }).count(), 0);
    assert.equal(await composer.inputValue(), 'Are you there?');
    assert.equal(new URL(page.url()).pathname, '/');
    // The conversation made for the send is removed again (the page deletes it as the refusal comes in).
    let left: unknown[] = [];
    for (let i = 0; i < 50; i++) {
      const list = (await (await server.request('/api/conversations', { cookie: user })).json()) as {
        conversations: unknown[];
      };
      left = list.conversations;
      if (left.length === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(left, []);
    assert.equal(await page.locator('li.conversation-item').count(), 0);
    await context.close();
  });

  test('downloading: the notice shows the progress, and a refused send may be retried', async () => {
    status = { state: 'downloading', model: 'DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M', downloadProgress: 0.37 };
    const { context, page } = await pageFor(user);
    await page.goto(server.baseUrl);
    const notice = page.locator('.model-notice[data-state="downloading"]');
    await notice.waitFor();
    assert.equal(await notice.locator('progress').getAttribute('value'), '0.37');
    assert.match((await notice.textContent()) ?? '', /DeepSeek-R1-Distill-Qwen-1\.5B-Q4_K_M/);
    const composer = page.getByRole('textbox', { name: /Message Ponder/ });
    await composer.fill('Now?');
    await composer.press('Enter');
    await page.locator('.error-banner').getByRole('button', { name: /Retry/ }).waitFor();
    await context.close();
  });

  test('no page error was thrown', () => {
    assert.deepEqual(pageErrors, []);
  });
});
