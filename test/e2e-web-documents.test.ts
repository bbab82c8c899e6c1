/**
 * Documents in real Chromium (issue 13): a generated PDF attached with the paperclip uploads with its chip,
 * the send carries its id, the turn searches it first (the real documents service and store: keyword
 * retrieval on a generated PDF), the timeline shows the search_documents step with the passages retrieved,
 * and the answer's `[report.pdf p. 2]` citation is a button whose popover shows the passage fetched from
 * `GET /api/chunks/:id`. The answer itself comes from a scripted upstream (the test is about the page, not a
 * model). A hostile file name and passage stay text; after a reload the citation still opens; Settings →
 * Collections creates, fills, shares and deletes a collection; no request leaves the origin.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { makePdf } from '../src/inference/documents/testing.ts';
import { chatStream, type ScriptedUpstream } from '../src/inference/upstream/scripted-upstream.ts';
import type { TestServer } from '../src/server/testing.ts';
import {
  assertQuietPage,
  composer,
  lastAssistant,
  recordPosts,
  type ScriptedApp,
  settled,
  signUp,
  startScriptedApp,
  stopScriptedApp,
} from './e2e-helpers.ts';
import { SCREENSHOTS, skipWithoutChromium } from './xss-browser.ts';

const T = 20_000;
const FACT = 'Revenue grew twelve percent in 2025 thanks to the harbour widget line.';
const HOSTILE = '<script>window.__xss=1</script><img src=x onerror=window.__xss=2>';
const QUESTION = 'How much did revenue grow in 2025 with the harbour widget line?';

describe('documents with citations in Chromium (real documents service, scripted upstream)', {
  skip: skipWithoutChromium,
  timeout: 300_000,
}, () => {
  let app: ScriptedApp;
  let upstream: ScriptedUpstream;
  let server: TestServer;
  let page: Page;
  let pdf: Buffer;
  const turnBodies: Array<Record<string, unknown>> = [];

  before(async () => {
    pdf = Buffer.from(
      await makePdf([
        'Annual report\nThis report covers the company and its products.',
        `Results\n${FACT}\nCosts were flat.`,
        `Appendix\n${HOSTILE}`,
      ]),
    );
    app = await startScriptedApp({ timeoutMs: T, height: 900 });
    ({ upstream, server, page } = app);
    recordPosts(page, /\/api\/conversations\/[^/]+\/messages$/, turnBodies);
  });

  after(() => stopScriptedApp(app));

  /** The paperclip opens the file chooser (its input is never in the page). */
  const attach = async (file: { name: string; mimeType: string; buffer: Buffer }) => {
    const chooser = page.waitForEvent('filechooser');
    await page.locator('form.composer').getByRole('button', { name: 'Attach files' }).click();
    await (await chooser).setFiles(file);
  };
  /** Nothing from the files ran or was put in the DOM as markup. */
  const assertInert = async () => {
    await page.waitForLoadState('networkidle');
    const found = await page.evaluate(() => ({
      xss: (window as unknown as { __xss?: unknown }).__xss,
      images: document.querySelectorAll('main img').length,
      handlers: [...document.querySelectorAll('main *')].filter((el) =>
        el.getAttributeNames().some((a) => a.startsWith('on')),
      ).length,
    }));
    assert.deepEqual(found, { xss: undefined, images: 0, handlers: 0 });
  };

  test('sign up; attach a PDF with the paperclip: the chip shows it uploaded, with the plan’s limits', async () => {
    await signUp(page, server, `e2e-docs-${Date.now()}@example.com`);

    const uploaded = page.waitForResponse(
      (r) => new URL(r.url()).pathname === '/api/files' && r.request().method() === 'POST',
    );
    await attach({ name: 'report.pdf', mimeType: 'application/pdf', buffer: pdf });
    assert.equal((await uploaded).status(), 201);
    const chip = page.locator('.attachment-chip', { hasText: 'report.pdf' });
    await chip.waitFor();
    await page.locator('.attachment-chip[data-status="ready"]').waitFor();
    await page.locator('.attachment-limits', { hasText: /per file/ }).waitFor();

    // A file that is not a document is refused with the server's reason, as text.
    await attach({
      name: '<img src=x onerror=window.__xss=3>.pdf',
      mimeType: 'application/pdf',
      buffer: Buffer.from('MZ\u0090\u0000 not a pdf at all'),
    });
    const failed = page.locator('.attachment-chip[data-status="error"]');
    await failed.waitFor();
    assert.ok(((await failed.locator('.attachment-error').textContent()) ?? '').length > 0);
    await failed.getByRole('button', { name: /^Remove / }).click();
    assert.equal(await page.locator('.attachment-chip[data-status="error"]').count(), 0);

    // Dropped on the composer, or pasted into the message box, a file uploads the same way; removing
    // its chip deletes it.
    for (const how of ['drop', 'paste'] as const) {
      const name = `${how}ped-notes.md`;
      const done = page.waitForResponse(
        (r) => new URL(r.url()).pathname === '/api/files' && r.request().method() === 'POST',
      );
      await page.evaluate(
        ([fileName, kind]) => {
          const data = new DataTransfer();
          data.items.add(new File(['# Leave\n\nTwenty days a year.\n'], fileName, { type: 'text/markdown' }));
          if (kind === 'drop') {
            const form = document.querySelector('form.composer');
            form?.dispatchEvent(
              new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }),
            );
            form?.dispatchEvent(
              new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }),
            );
          } else {
            document
              .querySelector('form.composer textarea')
              ?.dispatchEvent(
                new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }),
              );
          }
        },
        [name, how] as const,
      );
      const created = (await (await done).json()) as { id: string };
      const chip = page.locator('.attachment-chip[data-status="ready"]', { hasText: name });
      await chip.waitFor();
      const deleted = page.waitForResponse(
        (r) => new URL(r.url()).pathname === `/api/files/${created.id}` && r.request().method() === 'DELETE',
      );
      await chip.getByRole('button', { name: `Remove ${name}` }).click();
      assert.equal((await deleted).status(), 204);
      await chip.waitFor({ state: 'detached' });
    }
    assert.equal(await page.locator('.attachment-chip').count(), 1, 'only report.pdf is attached');
    await assertInert();
  });

  test('ask: the turn searches the PDF first; the timeline shows the passages; the citation opens the passage', async () => {
    const before = upstream.chatRequests.length;
    upstream.enqueue({
      lines: chatStream({
        reasoning: ['The report says ', 'twelve percent.'],
        content: ['Revenue grew twelve percent in 2025 [report.pdf p. 2]. Not in [other.pdf p. 9].'],
      }),
    });
    await composer(page).fill(QUESTION);
    await composer(page).press('Enter');
    await page.waitForURL(/\/c\/[^/]+$/);
    await settled(page);
    const documents = turnBodies.at(-1)?.documents as { fileIds?: string[] } | undefined;
    assert.equal(documents?.fileIds?.length, 1, 'the send carried the attached file');

    // The model read the passages as a tool turn inside untrusted-data markers, cited by label.
    const sent = upstream.chatRequests[before]?.body as {
      messages: Array<Record<string, unknown>>;
      tools?: Array<{ function: { name: string } }>;
    };
    assert.deepEqual(
      sent.messages.map((m) => m.role),
      ['user', 'assistant', 'tool'],
    );
    const toolText = String(sent.messages[2]?.content);
    assert.match(toolText, /=== begin untrusted data [0-9a-f]{12} ===/);
    assert.match(
      toolText,
      /\[report\.pdf p\. 2\] \(passage [A-Za-z0-9_-]+\)\n> Results\n> Revenue grew twelve percent/,
    );
    assert.deepEqual(
      sent.tools?.map((t) => t.function.name),
      ['search_documents'],
    );

    const answer = lastAssistant(page);
    assert.equal(await answer.getAttribute('data-status'), 'complete');
    // The timeline: the search_documents step, folded to its query and the passages retrieved.
    const toggle = answer.locator('.reasoning-toggle');
    if ((await toggle.getAttribute('aria-expanded')) === 'false') await toggle.click();
    const card = answer.locator('.tool-step');
    await card.waitFor();
    assert.equal(await card.locator('.tool-step-name').textContent(), 'search_documents');
    assert.equal(await card.getAttribute('data-status'), 'ok');
    assert.equal(await card.locator('.tool-step-query').textContent(), QUESTION);
    assert.match((await card.locator('.tool-step-pages-count').textContent()) ?? '', /passages? retrieved/);
    assert.equal(await card.locator('.tool-step-page-title').first().textContent(), '[report.pdf p. 2]');

    // [report.pdf p. 2] is a button; [other.pdf p. 9] (not retrieved) stays text.
    const cite = answer.locator('.markdown button.doc-citation');
    assert.equal(await cite.count(), 1);
    assert.equal(await cite.textContent(), 'report.pdf p. 2');
    assert.match((await answer.locator('.markdown').textContent()) ?? '', /Not in \[other\.pdf p\. 9\]\./);
    const chunk = page.waitForResponse((r) => /^\/api\/chunks\/[^/]+$/.test(new URL(r.url()).pathname));
    await cite.click();
    assert.equal((await chunk).status(), 200);
    const popover = page.locator('.passage-popover');
    await popover.locator('.passage-popover-text', { hasText: 'twelve percent' }).waitFor();
    assert.equal(await popover.getAttribute('role'), 'dialog');
    await assertInert();
    await page.screenshot({ path: join(SCREENSHOTS, 'answer-with-documents.png') });
    await page.keyboard.press('Escape');
    assert.equal(await popover.count(), 0);
  });

  test('a passage with markup is shown as text; after a reload the citation still opens and the chip is back', async () => {
    upstream.enqueue({
      lines: chatStream({ content: ['The appendix is odd [report.pdf p. 3].'] }),
    });
    await composer(page).fill('What does the appendix say about window xss script?');
    await composer(page).press('Enter');
    await page
      .locator('article.message-assistant .markdown', { hasText: 'appendix is odd' })
      .waitFor({ timeout: 60_000 });
    await settled(page);
    const cite = lastAssistant(page).locator('.markdown button.doc-citation');
    assert.equal(await cite.count(), 1, 'page 3 was retrieved and is cited');
    await cite.click();
    const text = page.locator('.passage-popover-text', { hasText: 'Appendix' });
    await text.waitFor();
    // The markup is the passage's text, shown as text.
    assert.match((await text.textContent()) ?? '', /<script>window\.__xss=1<\/script>/);
    assert.equal(await page.locator('.passage-popover script, .passage-popover img').count(), 0);
    await assertInert();
    await page.keyboard.press('Escape');

    await page.reload();
    await page.locator('.attachment-chip', { hasText: 'report.pdf' }).waitFor();
    const first = page.locator('article.message-assistant').first().locator('.markdown button.doc-citation');
    await first.waitFor();
    await first.click();
    await page.locator('.passage-popover-text', { hasText: 'twelve percent' }).waitFor();
    await assertInert();
  });

  test('Settings → Collections: create, upload into, share (admin); a chat searches it; delete', async () => {
    await page.goto(`${server.baseUrl}/settings`);
    const section = page.locator('section#collections');
    await section.waitFor();
    await section.getByLabel('Name').fill('Handbook <b>x</b>');
    await section.getByRole('button', { name: 'Create' }).click();
    const item = section.locator('.collection', { hasText: 'Handbook <b>x</b>' });
    await item.waitFor();
    const uploaded = page.waitForResponse(
      (r) => new URL(r.url()).pathname === '/api/files' && r.request().method() === 'POST',
    );
    const chooser = page.waitForEvent('filechooser');
    await item.getByRole('button', { name: 'Upload files' }).click();
    await (await chooser).setFiles({
      name: 'handbook.md',
      mimeType: 'text/markdown',
      buffer: Buffer.from('# Leave\nTwenty days a year.\n'),
    });
    assert.equal((await uploaded).status(), 201);
    await item.locator('.collection-file', { hasText: 'handbook.md' }).waitFor();
    await item.getByLabel('Share with everyone').check();
    await item.locator('.badge', { hasText: 'Shared with everyone' }).waitFor();

    // A new chat searches the chosen collection: its chip, the send's collectionIds, the passage cited.
    await page.getByRole('button', { name: /New chat/ }).click();
    const pick = page.locator('form.composer').getByRole('combobox', { name: 'Use a collection…' });
    await pick.selectOption({ label: 'Handbook <b>x</b>' });
    await page.locator('.attachment-collection', { hasText: 'Collection: Handbook <b>x</b>' }).waitFor();
    upstream.enqueue({ lines: chatStream({ content: ['Twenty days [handbook.md § Leave].'] }) });
    await composer(page).fill('How many days of leave a year?');
    await composer(page).press('Enter');
    await page
      .locator('article.message-assistant .markdown', { hasText: 'Twenty days' })
      .waitFor({ timeout: 60_000 });
    await settled(page);
    const sentDocs = turnBodies.at(-1)?.documents as
      | { collectionIds?: string[]; fileIds?: string[] }
      | undefined;
    assert.equal(sentDocs?.collectionIds?.length, 1);
    assert.equal(sentDocs?.fileIds, undefined);
    const cite = lastAssistant(page).locator('.markdown button.doc-citation');
    assert.equal(await cite.textContent(), 'handbook.md § Leave');
    await cite.click();
    await page.locator('.passage-popover-text', { hasText: 'Twenty days a year.' }).waitFor();
    await page.keyboard.press('Escape');

    await page.goto(`${server.baseUrl}/settings`);
    await item.waitFor();
    await item.getByRole('button', { name: /^Delete collection/ }).click();
    await item
      .getByRole('button', { name: /Yes|Delete/ })
      .last()
      .click();
    await item.waitFor({ state: 'detached' });
    await assertInert();
  });

  test('no page errors, dialogs or requests off the server', () => {
    assertQuietPage(app.watch);
  });
});
