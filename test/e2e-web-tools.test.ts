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
import type { Browser, Page } from 'playwright-core';
import type { ConversationDetail, ToolStep } from '../src/api/conversations.ts';
import { createUpstreamProvider, type UpstreamProvider } from '../src/inference/upstream/index.ts';
import { type ScriptedUpstream, startScriptedUpstream } from '../src/inference/upstream/scripted-upstream.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';
import {
  ensureWebBuild,
  launchChromium,
  openWatchedPage,
  SCREENSHOTS,
  skipWithoutChromium,
} from './xss-browser.ts';

const PASSWORD = 'correct horse battery staple';
const T = 20_000;
const email = `e2e-tools-${Date.now()}@example.com`;
const PAYLOAD = '<img src=x onerror=window.__xss=1>';

const sse = (delta: Record<string, unknown>, finish: string | null = null): string =>
  `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n`;
const end = [
  '',
  `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 } })}\n`,
  '',
  'data: [DONE]',
  '',
];
/** Reasoning, then one `current_time` call with `args` (streamed in two pieces), finish_reason tool_calls. */
const callRound = (id: string, reasoning: string, args: string) => [
  sse({ role: 'assistant', reasoning_content: reasoning }),
  '',
  sse({
    tool_calls: [{ index: 0, id, type: 'function', function: { name: 'current_time', arguments: '' } }],
  }),
  '',
  sse({ tool_calls: [{ index: 0, function: { arguments: args.slice(0, 5) } }] }),
  '',
  sse({ tool_calls: [{ index: 0, function: { arguments: args.slice(5) } }] }),
  '',
  sse({}, 'tool_calls'),
  ...end,
];
const answerRound = (reasoning: string, content: string) => [
  sse({ role: 'assistant', reasoning_content: reasoning }),
  '',
  sse({ content }),
  '',
  sse({}, 'stop'),
  ...end,
];

describe('tool timeline in Chromium (scripted upstream calling current_time)', {
  skip: skipWithoutChromium,
  timeout: 180_000,
}, () => {
  let upstream: ScriptedUpstream;
  let provider: UpstreamProvider;
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const foreign: string[] = [];
  const pageErrors: string[] = [];
  const dialogs: string[] = [];

  before(async () => {
    await ensureWebBuild();
    upstream = await startScriptedUpstream({ models: ['r1-test'] });
    provider = createUpstreamProvider({
      id: 'scripted',
      baseUrl: upstream.baseUrl,
      models: ['r1-test'],
      reasoningFormat: 'auto',
    });
    server = await startTestServer({
      deps: {
        providers: [provider],
        defaultModel: 'r1-test',
        modelStatus: () => ({ state: 'ready', model: 'r1-test' }),
        chat: { persistIntervalMs: 50 },
      },
    });
    browser = await launchChromium();
    ({ page } = await openWatchedPage(
      browser,
      server.baseUrl,
      { foreign, pageErrors, dialogs },
      {
        timeoutMs: T,
      },
    ));
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await provider?.[Symbol.asyncDispose]();
    await upstream?.close();
  });

  const composer = () => page.getByRole('textbox', { name: /Message Ponder/ });
  const lastAssistant = () => page.locator('article.message-assistant').last();
  const settled = () =>
    page
      .locator('article.message-assistant:not([data-status="streaming"])')
      .last()
      .waitFor({ timeout: 60_000 });
  /** New chat, Tools → "Current time" ticked (the chip then reads "Tools · 1"), popover closed, then send. */
  const sendWithCurrentTime = async (text: string) => {
    await page.getByRole('button', { name: /New chat/ }).click();
    await composer().waitFor();
    await page.getByRole('button', { name: 'Tools', exact: true }).click();
    await page.getByRole('checkbox', { name: /Current time/ }).check();
    await page.getByRole('button', { name: 'Tools · 1', exact: true }).waitFor();
    await page.keyboard.press('Escape');
    await page.locator('.tools-popover').waitFor({ state: 'detached' });
    await composer().fill(text);
    await composer().press('Enter');
    await page.waitForURL(/\/c\/[^/]+$/);
    await settled();
  };
  const storedSteps = (): Promise<ToolStep[]> =>
    page.evaluate(async (cid) => {
      const res = await fetch(`/api/conversations/${cid}`);
      const body = (await res.json()) as ConversationDetail;
      return body.messages.filter((m) => m.role === 'assistant').at(-1)?.toolSteps ?? [];
    }, new URL(page.url()).pathname.split('/').pop() ?? '');

  test('sign up (the first account gives the setup code)', async () => {
    await page.goto(server.baseUrl);
    await page.waitForURL(/\/login$/);
    await page.getByRole('link', { name: /Sign up/ }).click();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByLabel(/Setup code/).fill(server.setupCode ?? '');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await composer().waitFor();
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
    const answer = lastAssistant();
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
    const [step] = await storedSteps();
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
    const answer = lastAssistant();
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
    const answer = lastAssistant();
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
    const [step] = await storedSteps();
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
    const again = lastAssistant().locator('.tool-step');
    await again.waitFor();
    assert.equal(await again.getAttribute('data-status'), 'error');
    assert.ok(((await again.locator('.tool-step-preview').textContent()) ?? '').includes(PAYLOAD));
    await page.waitForLoadState('networkidle');
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss), undefined);
  });

  test('no page errors, dialogs or requests off the server', () => {
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(dialogs, []);
    assert.deepEqual(foreign, []);
  });
});
