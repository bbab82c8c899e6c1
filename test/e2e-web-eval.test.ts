/**
 * Admin → Evaluations in real Chromium on the generated tiny model: the admin starts a run from the form,
 * watches it progress to the end, opens its results (one row per thinking budget, the budget curves as
 * images served by Ponder) and finds the report downloads. Random weights: structure only.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../src/server/testing.ts';
import { ensureWebBuild, launchChromium, openWatchedPage, skipWithoutChromium } from './xss-browser.ts';

describe('admin evaluations page in Chromium', { skip: skipWithoutChromium, timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    await ensureWebBuild();
    server = await startTestServer({ withModel: true, capacity: true });
    browser = await launchChromium();
    const { cookie } = await server.signup();
    ({ page } = await openWatchedPage(
      browser,
      server.baseUrl,
      { pageErrors },
      { timeoutMs: 60_000, height: 900, cookie },
    ));
    await page.goto(`${server.baseUrl}/admin`);
    await page.getByRole('heading', { name: 'Evaluations' }).waitFor();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('start a run, watch it finish, see results, the budget curve and the reports', async () => {
    const section = page.locator('section[aria-labelledby="eval-h"]');
    await section.getByText('No evaluation has run yet.').waitFor();
    await section.getByLabel('Suite').selectOption('dates');
    await section.getByLabel('Problems').fill('2');
    await section.getByLabel(/^Thinking budgets/).fill('default, 2');
    await section.getByLabel('Max tokens per sample').fill('6');
    await section.getByLabel('Model').selectOption('tiny');
    const started = page.waitForResponse(
      (r) => r.url().endsWith('/api/admin/eval/runs') && r.request().method() === 'POST',
    );
    await section.getByRole('button', { name: 'Start the run' }).click();
    assert.equal((await started).status(), 202);
    // Polled while active: the row reaches 4/4 and "done".
    const row = section.locator('ul.plain-list > li').first();
    await row.getByText('4/4').waitFor();
    await row.getByText('done', { exact: true }).waitFor();
    assert.equal(await row.locator('progress').getAttribute('value'), '4');

    await row.getByRole('button', { name: 'Results' }).click();
    const table = row.locator('table');
    await table.waitFor();
    assert.equal(await table.locator('tbody tr').count(), 2);
    assert.deepEqual(await table.locator('tbody tr td:nth-child(2)').allTextContents(), ['default', '2']);
    const curves = row.locator('img');
    assert.equal(await curves.count(), 2);
    await page.waitForFunction(() =>
      [...document.querySelectorAll('section[aria-labelledby="eval-h"] img')].every(
        (img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0,
      ),
    );
    const html = row.getByRole('link', { name: 'HTML report' });
    assert.match((await html.getAttribute('href')) ?? '', /\/report\?format=html$/);
    assert.deepEqual(pageErrors, []);
  });
});
