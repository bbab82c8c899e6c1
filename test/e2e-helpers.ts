/**
 * Shared by the Chromium tests that drive the web app against a scripted upstream (e2e-web-tools,
 * e2e-web-tool-confirm, e2e-web-search, e2e-web-documents, e2e-xss-tools): the stream lines that upstream
 * plays (DeepSeek wire format), the app they run on (scripted upstream, its provider, a real server and a
 * watched Chromium page) and the page steps each of them repeats. Not a test file itself.
 */
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import type { ConversationDetail, ToolStep } from '../src/api/conversations.ts';
import { createUpstreamProvider, type UpstreamProvider } from '../src/inference/upstream/index.ts';
import {
  type ScriptedUpstream,
  type ScriptedUpstreamOptions,
  startScriptedUpstream,
} from '../src/inference/upstream/scripted-upstream.ts';
import { startTestServer, type TestServer, type TestServerOptions } from '../src/server/testing.ts';
import { ensureWebBuild, launchChromium, openWatchedPage, type PageWatch } from './xss-browser.ts';

export const PASSWORD = 'correct horse battery staple';

// --- The scripted upstream's stream lines ---------------------------------------------------------------

/** One `data:` line of a chat.completion.chunk carrying `delta`. */
export const sse = (delta: Record<string, unknown>, finish: string | null = null): string =>
  `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n`;
const end = [
  '',
  `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 } })}\n`,
  '',
  'data: [DONE]',
  '',
];

/** Reasoning, then one call of `name` whose arguments stream in `argPieces`, finish_reason tool_calls. */
export const toolCallRound = (name: string, id: string, reasoning: string, argPieces: string[]): string[] => [
  sse({ role: 'assistant', reasoning_content: reasoning }),
  '',
  sse({ tool_calls: [{ index: 0, id, type: 'function', function: { name, arguments: '' } }] }),
  '',
  ...argPieces.flatMap((piece) => [sse({ tool_calls: [{ index: 0, function: { arguments: piece } }] }), '']),
  sse({}, 'tool_calls'),
  ...end,
];

/** Reasoning, then the answer `content`, finish_reason stop. */
export const answerRound = (reasoning: string, content: string): string[] => [
  sse({ role: 'assistant', reasoning_content: reasoning }),
  '',
  sse({ content }),
  '',
  sse({}, 'stop'),
  ...end,
];

// --- The app: scripted upstream, provider, server, watched page -----------------------------------------

/** The provider Ponder reaches a scripted upstream through (its one model `r1-test`). */
export function scriptedProvider(upstream: ScriptedUpstream, id = 'scripted'): UpstreamProvider {
  return createUpstreamProvider({
    id,
    baseUrl: upstream.baseUrl,
    models: ['r1-test'],
    reasoningFormat: 'auto',
  });
}

/** Server deps for a scripted upstream: `r1-test` by default, always ready, answers stored every 50 ms. */
export const scriptedDeps = {
  defaultModel: 'r1-test',
  modelStatus: () => ({ state: 'ready' as const, model: 'r1-test' }),
  chat: { persistIntervalMs: 50 },
};

export interface ScriptedApp {
  upstream: ScriptedUpstream;
  provider: UpstreamProvider;
  server: TestServer;
  browser: Browser;
  page: Page;
  /** What the page did that must never happen (requests off the origin, page errors, dialogs). */
  watch: PageWatch;
}

/**
 * A fresh web build, a scripted upstream (`onChat` as given) behind a real server (`config`, and `deps` over
 * `scriptedDeps` and the provider), Chromium, and a page on the server watched into `app.watch`. What
 * started is stopped again when a later step fails.
 */
export async function startScriptedApp(options: {
  timeoutMs: number;
  height?: number;
  onChat?: ScriptedUpstreamOptions['onChat'];
  config?: TestServerOptions['config'];
  deps?: TestServerOptions['deps'];
}): Promise<ScriptedApp> {
  await ensureWebBuild();
  const app: Partial<ScriptedApp> = { watch: { foreign: [], pageErrors: [], dialogs: [] } };
  try {
    app.upstream = await startScriptedUpstream({
      models: ['r1-test'],
      ...(options.onChat ? { onChat: options.onChat } : {}),
    });
    app.provider = scriptedProvider(app.upstream);
    app.server = await startTestServer({
      ...(options.config ? { config: options.config } : {}),
      deps: { providers: [app.provider], ...scriptedDeps, ...options.deps },
    });
    app.browser = await launchChromium();
    const opened = await openWatchedPage(app.browser, app.server.baseUrl, app.watch as PageWatch, {
      timeoutMs: options.timeoutMs,
      ...(options.height ? { height: options.height } : {}),
    });
    app.page = opened.page;
    return app as ScriptedApp;
  } catch (err) {
    await stopScriptedApp(app);
    throw err;
  }
}

/**
 * Stops what `startScriptedApp` started: the browser, then `beforeServer` (what must end while the server
 * still runs), the server, the provider, the upstream.
 */
export async function stopScriptedApp(
  app: Partial<ScriptedApp> | undefined,
  beforeServer?: () => Promise<void>,
): Promise<void> {
  await app?.browser?.close();
  await beforeServer?.();
  await app?.server?.close();
  await app?.provider?.[Symbol.asyncDispose]();
  await app?.upstream?.close();
}

/** No page error, no dialog, no request off the app's origin. */
export function assertQuietPage(watch: PageWatch): void {
  assert.deepEqual(watch.pageErrors, []);
  assert.deepEqual(watch.dialogs, []);
  assert.deepEqual(watch.foreign, []);
}

// --- Page steps ---------------------------------------------------------------------------------------

export const composer = (page: Page) => page.getByRole('textbox', { name: /Message Ponder/ });
export const lastAssistant = (page: Page) => page.locator('article.message-assistant').last();
/** Waits until the last assistant message no longer streams. */
export const settled = (page: Page) =>
  page
    .locator('article.message-assistant:not([data-status="streaming"])')
    .last()
    .waitFor({ timeout: 60_000 });

/**
 * Signs `email` up on `server` from its login page (the first account gives the setup code) and waits for
 * the composer; with `loads`, that API path must answer 200 on the way.
 */
export async function signUp(page: Page, server: TestServer, email: string, loads?: string): Promise<void> {
  await page.goto(server.baseUrl);
  await page.waitForURL(/\/login$/);
  await page.getByRole('link', { name: /Sign up/ }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByLabel(/Setup code/).fill(server.setupCode ?? '');
  const loaded = loads ? page.waitForResponse((r) => new URL(r.url()).pathname === loads) : undefined;
  await page.getByRole('button', { name: 'Sign up' }).click();
  await composer(page).waitFor();
  if (loaded) assert.equal((await loaded).status(), 200);
}

/** New chat, Tools → the tool labelled `tool` ticked (the chip then reads "Tools · 1"), popover closed, send. */
export async function sendWithTool(page: Page, tool: RegExp, text: string): Promise<void> {
  await page.getByRole('button', { name: /New chat/ }).click();
  await composer(page).waitFor();
  await page.getByRole('button', { name: 'Tools', exact: true }).click();
  await page.getByRole('checkbox', { name: tool }).check();
  await page.getByRole('button', { name: 'Tools · 1', exact: true }).waitFor();
  await page.keyboard.press('Escape');
  await page.locator('.tools-popover').waitFor({ state: 'detached' });
  await composer(page).fill(text);
  await composer(page).press('Enter');
  await page.waitForURL(/\/c\/[^/]+$/);
}

/** Records into `into` the JSON body of every POST the page sends to a URL `url` matches. */
export function recordPosts(page: Page, url: RegExp, into: Array<Record<string, unknown>>): void {
  page.on('request', (req) => {
    if (req.method() === 'POST' && url.test(req.url()))
      into.push(JSON.parse(req.postData() ?? '{}') as Record<string, unknown>);
  });
}

/** The tool steps the server stored on the open conversation's last assistant message. */
export const storedSteps = (page: Page): Promise<ToolStep[]> =>
  page.evaluate(async (cid) => {
    const res = await fetch(`/api/conversations/${cid}`);
    const body = (await res.json()) as ConversationDetail;
    return body.messages.filter((m) => m.role === 'assistant').at(-1)?.toolSteps ?? [];
  }, new URL(page.url()).pathname.split('/').pop() ?? '');
