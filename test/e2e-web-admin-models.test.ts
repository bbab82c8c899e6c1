/**
 * Admin → Models in real Chromium: removing a model file asks first and removes it; the model given
 * with --model cannot be removed here and the page says why (no button that fails and unloads it
 * anyway); a pull that cannot succeed offline shows under the source the admin typed and can be
 * dismissed.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ensureTestModel } from '../src/inference/gguf/test-model.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';
import { ensureWebBuild, launchChromium, openWatchedPage, skipWithoutChromium } from './xss-browser.ts';

describe('admin models page in Chromium', { skip: skipWithoutChromium, timeout: 180_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let modelFile: string;
  const pageErrors: string[] = [];

  before(async () => {
    await ensureWebBuild();
    server = await startTestServer({ withModel: true });
    const modelsDir = join(server.config.dataDir, 'models');
    await mkdir(modelsDir, { recursive: true });
    modelFile = join(modelsDir, 'mini.gguf');
    await copyFile(await ensureTestModel('tiny'), modelFile);
    browser = await launchChromium();
    const { cookie } = await server.signup();
    ({ page } = await openWatchedPage(
      browser,
      server.baseUrl,
      { pageErrors },
      { timeoutMs: 20_000, height: 900, cookie },
    ));
    await page.goto(`${server.baseUrl}/admin`);
    await page.getByRole('heading', { name: 'Models' }).waitFor();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  const row = (model: string) => page.locator(`li[data-model="${model}"]`);

  test('the --model model offers no Remove and says where it comes from', async () => {
    await row('tiny').waitFor();
    assert.equal(
      await row('tiny')
        .getByRole('button', { name: /Remove/ })
        .count(),
      0,
    );
    assert.match((await row('tiny').textContent()) ?? '', /--model/);
  });

  test('Remove asks first; No keeps the file, Yes removes it', async () => {
    await row('mini').getByRole('button', { name: 'Remove: mini' }).click();
    await row('mini').getByRole('button', { name: 'No' }).click();
    await stat(modelFile);
    await row('mini').getByRole('button', { name: 'Remove: mini' }).click();
    assert.match((await row('mini').textContent()) ?? '', /Delete this model file\?/);
    const removed = page.waitForResponse((r) => r.request().method() === 'DELETE');
    await row('mini').getByRole('button', { name: 'Yes' }).click();
    assert.equal((await removed).status(), 204);
    await row('mini').waitFor({ state: 'detached' });
    await assert.rejects(stat(modelFile));
  });

  test('a pull shows under the source typed and can be dismissed', async () => {
    const source = 'hf:nobody/nothing:Q4_K_M';
    await page.getByRole('textbox', { name: /^Source/ }).fill(source);
    await page.getByRole('button', { name: 'Pull model' }).click();
    const entry = page.locator('li.list-row', { hasText: source });
    await entry.waitFor();
    assert.equal(await page.locator('li.list-row strong', { hasText: /^Q4_K_M$/ }).count(), 0);
    await entry.getByRole('button', { name: new RegExp(`(Dismiss|Cancel download): ${source}`) }).click();
    await entry.waitFor({ state: 'detached' });
  });

  test('no page error was thrown', () => {
    assert.deepEqual(pageErrors, []);
  });
});
