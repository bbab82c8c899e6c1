/**
 * The tool timeline in real Chromium: the composer's Tools control turns on `current_time`, the model (a
 * scripted upstream that calls it in the DeepSeek wire format, then answers — the test is about the page,
 * not a model) makes the call, and the reasoning panel shows it as a card between reasoning segments:
 * arguments, the result folded to a line that opens on click, "Thought for N s · 1 tool call" once folded,
 * still there after a reload (stored toolSteps). Tool arguments and results are untrusted: a hostile
 * argument echoed back in an error result renders as text and runs nothing.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { ScriptedUpstream } from '../src/inference/upstream/scripted-upstream.ts';
import type { TestServer } from '../src/server/testing.ts';
import {
  answerRound,
  assertQuietPage,
  lastAssistant,
  type ScriptedApp,
  sendWithTool,
  settled,
  signUp,
  startScriptedApp,
  stopScriptedApp,
  storedSteps,
  toolCallRound,
} from './e2e-helpers.ts';
import { SCREENSHOTS, skipWithoutChromium } from './xss-browser.ts';

const T = 20_000;
const email = `e2e-tools-${Date.now()}@example.com`;
const PAYLOAD = '<img src=x onerror=window.__xss=1>';

/** Reasoning, then one `current_time` call with `args` (streamed in two pieces), finish_reason tool_calls. */
const callRound = (id: string, reasoning: string, args: string) =>
  toolCallRound('current_time', id, reasoning, [args.slice(0, 5), args.slice(5)]);

describe('tool timeline in Chromium (scripted upstream calling current_time)', {
  skip: skipWithoutChromium,
  timeout: 180_000,
}, () => {
  let app: ScriptedApp;
  let upstream: ScriptedUpstream;
  let server: TestServer;
  let page: Page;

  before(async () => {
    app = await startScriptedApp({ timeoutMs: T });
    ({ upstream, server, page } = app);
  });

  after(() => stopScriptedApp(app));

  /** New chat, Tools → "Current time" ticked, send, and wait for the answer. */
  const sendWithCurrentTime = async (text: string) => {
    await sendWithTool(page, /Current time/, text);
    await settled(page);
  };

  test('sign up (the first account gives the setup code)', async () => {
    await signUp(page, server, email);
    assert.equal(new URL(page.url()).pathname, '/');
  });

  test('a current_time call: card with its arguments, folded result that opens, answer, summary', async () => {
    const first = upstream.chatRequests.length;
    upstream.enqueue(
      {
        lines: callRound(
          'call_e2e1',
          'Which day is it? I should look it up. ',
          '{"timezone":"Europe/Paris"}',
        ),
      },
      { lines: answerRound('The tool says it is today.', 'Today is the day.') },
    );
    await sendWithCurrentTime('What day is it in Paris?');
    const answer = lastAssistant(page);
    assert.equal(await answer.getAttribute('data-status'), 'complete');
    await answer.locator('.markdown', { hasText: 'Today is the day.' }).waitFor();

    // What the upstream received: the first request offered the tool, the second carried its result.
    const offered = upstream.chatRequests[first]?.body as {
      tools?: Array<{ type: string; function: { name: string; parameters?: unknown } }>;
    };
    assert.deepEqual(
      offered.tools?.map((t) => [t.type, t.function.name]),
      [['function', 'current_time']],
    );
    const followUp = upstream.chatRequests[first + 1]?.body as { messages: Array<Record<string, unknown>> };
    assert.deepEqual(
      followUp.messages.map((m) => m.role),
      ['user', 'assistant', 'tool'],
    );
    assert.equal(followUp.messages[2]?.tool_call_id, 'call_e2e1');

    // Folded once answered: "Thought for N s · 1 tool call" (en.ts: thoughtFor + toolCalls_one).
    const toggle = answer.locator('.reasoning-toggle');
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    assert.match((await toggle.textContent()) ?? '', /Thought for \d+ s · 1 tool call$/);
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');

    // The timeline: reasoning, the card, reasoning.
    const body = answer.locator('.reasoning-body');
    const kinds = await body.evaluate((el) => [...el.children].map((c) => c.className));
    assert.deepEqual(kinds, ['reasoning-segment', 'tool-step', 'reasoning-segment']);
    const card = body.locator('.tool-step');
    assert.equal(await card.getAttribute('data-status'), 'ok');
    assert.equal(await card.locator('.tool-step-name').textContent(), 'current_time');
    assert.deepEqual(JSON.parse((await card.locator('.tool-step-args').textContent()) ?? ''), {
      timezone: 'Europe/Paris',
    });

    // The result is folded to one line; a click opens it whole: the JSON the tool returned.
    const head = card.locator('.tool-step-head');
    assert.equal(await head.getAttribute('aria-expanded'), 'false');
    assert.equal(await card.locator('.tool-step-output').count(), 0);
    const preview = card.locator('.tool-step-preview');
    assert.match((await preview.textContent()) ?? '', /Europe\/Paris/);
    await preview.click();
    assert.equal(await head.getAttribute('aria-expanded'), 'true');
    const output = (await card.locator('.tool-step-output').textContent()) ?? '';
    const returned = JSON.parse(output) as { utc: string; timezone: string; local: string };
    assert.equal(returned.timezone, 'Europe/Paris');
    assert.ok(!Number.isNaN(Date.parse(returned.utc)), returned.utc);
    assert.ok(returned.local.length > 0);
    const [step] = await storedSteps(page);
    assert.equal(step?.id, 'call_e2e1');
    assert.equal(step?.result?.content, output, 'the card shows what was stored');
    assert.equal(step?.result?.isError, false);
    await page.screenshot({ path: join(SCREENSHOTS, 'tool-timeline.png') });
    // Folded again, the card reads the same one-line preview.
    await head.click();
    await preview.waitFor();
  });

  test('after a reload the card is still there (stored toolSteps)', async () => {
    await page.reload();
    const answer = lastAssistant(page);
    await answer.locator('.markdown', { hasText: 'Today is the day.' }).waitFor();
    const toggle = answer.locator('.reasoning-toggle');
    assert.match((await toggle.textContent()) ?? '', /Thought for \d+ s · 1 tool call$/);
    // The panel was opened by hand: remembered for this message.
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    const card = answer.locator('.tool-step');
    await card.waitFor();
    assert.equal(await card.count(), 1);
    assert.equal(await card.locator('.tool-step-name').textContent(), 'current_time');
    assert.match((await card.locator('.tool-step-args').textContent()) ?? '', /"timezone": "Europe\/Paris"/);
    await card.locator('.tool-step-preview').click();
    assert.equal(
      JSON.parse((await card.locator('.tool-step-output').textContent()) ?? '').timezone,
      'Europe/Paris',
    );
  });

  test('hostile tool arguments and the error result echoing them render as text, nothing runs', async () => {
    const first = upstream.chatRequests.length;
    upstream.enqueue(
      { lines: callRound('call_e2e2', 'Let me try an odd zone. ', JSON.stringify({ timezone: PAYLOAD })) },
      { lines: answerRound('That zone does not exist.', 'I could not find that time zone.') },
    );
    await sendWithCurrentTime('What time is it over there?');
    const answer = lastAssistant(page);
    assert.equal(await answer.getAttribute('data-status'), 'complete');
    await answer.locator('.markdown', { hasText: 'I could not find that time zone.' }).waitFor();
    assert.equal(upstream.chatRequests.length, first + 2);

    const toggle = answer.locator('.reasoning-toggle');
    if ((await toggle.getAttribute('aria-expanded')) === 'false') await toggle.click();
    const card = answer.locator('.tool-step');
    assert.equal(await card.getAttribute('data-status'), 'error');
    assert.equal(await card.locator('.tool-step-label').last().textContent(), 'Error');
    // The arguments, literally (pretty-printed JSON keeps `<` and `>` as they are).
    assert.equal(
      await card.locator('.tool-step-args').textContent(),
      JSON.stringify({ timezone: PAYLOAD }, null, 2),
    );
    await card.locator('.tool-step-preview').click();
    const output = (await card.locator('.tool-step-output').textContent()) ?? '';
    assert.ok(output.includes(`"${PAYLOAD}"`), output);
    const [step] = await storedSteps(page);
    assert.equal(step?.result?.isError, true);
    assert.equal(step?.result?.content, output);

    // Give an onerror a chance to fire, then check nothing ran or was fetched.
    await page.waitForLoadState('networkidle');
    const found = await page.evaluate(() => ({
      xss: (window as unknown as { __xss?: unknown }).__xss,
      images: document.querySelectorAll('.reasoning img, .tool-step img').length,
      handlers: [...document.querySelectorAll('.reasoning *')].filter((el) =>
        el.getAttributeNames().some((a) => a.startsWith('on')),
      ).length,
    }));
    assert.deepEqual(found, { xss: undefined, images: 0, handlers: 0 });
    await page.screenshot({ path: join(SCREENSHOTS, 'tool-timeline-error.png') });

    // The same after a reload, from what the server stored.
    await page.reload();
    const again = lastAssistant(page).locator('.tool-step');
    await again.waitFor();
    assert.equal(await again.getAttribute('data-status'), 'error');
    assert.ok(((await again.locator('.tool-step-preview').textContent()) ?? '').includes(PAYLOAD));
    await page.waitForLoadState('networkidle');
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss), undefined);
  });

  test('no page errors, dialogs or requests off the server', () => {
    assertQuietPage(app.watch);
  });
});
