/**
 * A tool that changes things waits for the user, in real Chromium. The server registers the MCP test
 * server `@modelcontextprotocol/server-everything` over stdio; its `toggle-subscriber-updates` tool is not
 * read-only (readOnlyHint false), so a web turn announces it (`tool_confirm`) and waits. A scripted
 * upstream (the test is about the page, not a model) calls it, then answers. The card shows the tool, its
 * arguments, that it changes things, the time left and "Run" / "Don't run":
 * - Run: the tool runs ("Started …"), the result shows, the answer follows;
 * - a reload while the call waits shows the buttons again (replay), then "Don't run": the card shows the
 *   error result "declined", the upstream's next request carries that result;
 * - a third call, run: the server answers "Stopped …", so the declined call really did not toggle anything.
 * Every process started here (the MCP server included) is stopped.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { ToolInfo, ToolsResponse } from '../src/api/conversations.ts';
import { mcpSchema } from '../src/config/schema.ts';
import { EVERYTHING_SERVER, killPid } from '../src/core/mcp/testing.ts';
import type { ScriptedUpstream } from '../src/inference/upstream/scripted-upstream.ts';
import { ShutdownHooks } from '../src/server/shutdown.ts';
import type { TestServer } from '../src/server/testing.ts';
import {
  answerRound,
  assertQuietPage,
  composer,
  lastAssistant,
  type ScriptedApp,
  settled,
  signUp,
  startScriptedApp,
  stopScriptedApp,
  storedSteps,
  sendWithTool as tickToolAndSend,
  toolCallRound,
} from './e2e-helpers.ts';
import { SCREENSHOTS, skipWithoutChromium } from './xss-browser.ts';

const T = 20_000;
const email = `e2e-confirm-${Date.now()}@example.com`;
const TOOL = 'mcp_everything_toggle-subscriber-updates';
const TITLE = 'Toggle Subscriber Updates';
const DECLINED = 'error: the user declined to run this tool';

/** Reasoning, then one call of the MCP tool (no arguments), finish_reason tool_calls. */
const callRound = (id: string, reasoning: string) => toolCallRound(TOOL, id, reasoning, ['{}']);

type Sent = { messages: Array<Record<string, unknown>>; tools?: Array<{ function: { name: string } }> };

/** Pids of this process's children running the MCP test server (Linux /proc; none elsewhere). */
function everythingChildren(): number[] {
  const pids: number[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return pids;
  }
  for (const entry of entries) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(EVERYTHING_SERVER))
        pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

describe('a tool that changes things waits for Run / Don’t run (Chromium, MCP server-everything)', {
  skip: skipWithoutChromium,
  timeout: 240_000,
}, () => {
  let app: ScriptedApp;
  let upstream: ScriptedUpstream;
  let server: TestServer;
  let page: Page;
  let mcpPids: number[] = [];
  // The server's shutdown hooks close the MCP connection (and its process); app.close() alone does not.
  const hooks = new ShutdownHooks();

  before(async () => {
    app = await startScriptedApp({
      timeoutMs: T,
      config: {
        mcp: mcpSchema.parse({
          allowLocalProcesses: true,
          servers: [{ id: 'everything', command: process.execPath, args: [EVERYTHING_SERVER, 'stdio'] }],
        }),
      },
      deps: { shutdownHooks: hooks },
    });
    ({ upstream, server, page } = app);
  });

  after(async () => {
    await stopScriptedApp(app, async () => {
      mcpPids = [...new Set([...mcpPids, ...everythingChildren()])];
      await hooks.run(5_000);
    });
    // The MCP server's process ended with the shutdown hooks; anything left is killed and fails the run.
    const left: number[] = [];
    for (let i = 0; i < 50; i++) {
      const alive = mcpPids.filter((pid) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      });
      if (alive.length === 0) break;
      if (i === 49) left.push(...alive);
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const pid of left) await killPid(pid).catch(() => {});
    assert.deepEqual(left, [], 'the MCP server process outlived the server');
  });

  const waitingCard = () => lastAssistant(page).locator('.tool-step[data-status="waiting"]');
  /** New chat, Tools → the MCP tool ticked, send; returns once the call waits. */
  const sendWithTool = async (text: string) => {
    await tickToolAndSend(page, new RegExp(TITLE), text);
    await waitingCard().waitFor();
  };
  const resultText = async () => {
    const card = lastAssistant(page).locator('.tool-step');
    if ((await card.locator('.tool-step-head').getAttribute('aria-expanded')) === 'false')
      await card.locator('.tool-step-preview').click();
    return (await card.locator('.tool-step-output').textContent()) ?? '';
  };
  /** The reasoning panel folds once the answer starts: open it to read the card. */
  const openPanel = async () => {
    const toggle = lastAssistant(page).locator('.reasoning-toggle');
    if ((await toggle.getAttribute('aria-expanded')) === 'false') await toggle.click();
  };
  /** The card while its call waits: what it asks, the note, the time left, both buttons enabled. */
  const checkWaitingCard = async () => {
    const card = waitingCard();
    assert.equal(await card.locator('.tool-step-name').textContent(), TOOL);
    assert.equal(await card.locator('.tool-step-args').textContent(), '{}');
    assert.equal(await card.locator('.tool-step-time').textContent(), 'waiting for you');
    assert.equal(await card.locator('.tool-step-confirm-question').textContent(), `Run “${TITLE}”?`);
    assert.match(
      (await card.locator('.tool-step-confirm-note').textContent()) ?? '',
      /changes things \(it is not read-only\)/,
    );
    const left = (await card.locator('.tool-step-left').textContent()) ?? '';
    const [, m, s] = /^(\d+):(\d\d) left to decide$/.exec(left) ?? [];
    assert.ok(m !== undefined && s !== undefined, left);
    const seconds = Number(m) * 60 + Number(s);
    assert.ok(seconds > 200 && seconds <= 300, left);
    for (const name of ['Run', "Don't run"]) {
      assert.equal(await card.getByRole('button', { name, exact: true }).isEnabled(), true, name);
    }
    return card;
  };

  test('sign up, and the MCP tool is listed as one that changes things', async () => {
    await signUp(page, server, email);
    // The server lists MCP tools in the background at start: wait until it has.
    let tool: ToolInfo | undefined;
    for (let i = 0; i < 150 && !tool; i++) {
      const { tools } = await page.evaluate(
        async () => (await (await fetch('/api/tools')).json()) as ToolsResponse,
      );
      tool = tools.find((t) => t.name === TOOL);
      if (!tool) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(tool, 'GET /api/tools lists the MCP tool');
    assert.equal(tool.readOnly, false);
    assert.equal(tool.title, TITLE);
    mcpPids = everythingChildren();
    if (existsSync('/proc/self'))
      assert.equal(mcpPids.length, 1, 'one MCP server process, a child of this one');
    // The page asked for the tools once, maybe before they were listed: load it again.
    await page.reload();
    await composer(page).waitFor();
  });

  test('Run: the call waits, then runs once clicked; its result shows and the answer follows', async () => {
    const first = upstream.chatRequests.length;
    upstream.enqueue(
      { lines: callRound('call_run1', 'The user wants updates. I will toggle them. ') },
      { lines: answerRound('It worked.', 'Subscriber updates are on.') },
    );
    await sendWithTool('Turn on subscriber updates.');
    const card = await checkWaitingCard();
    await page.screenshot({ path: join(SCREENSHOTS, 'tool-confirm-waiting.png') });
    // The model offered the tool, and waits: no second request before the decision.
    const offered = upstream.chatRequests[first]?.body as Sent;
    assert.deepEqual(
      offered.tools?.map((t) => t.function.name),
      [TOOL],
    );
    assert.equal(upstream.chatRequests.length, first + 1);
    assert.equal(await lastAssistant(page).getAttribute('data-status'), 'streaming');

    await card.getByRole('button', { name: 'Run', exact: true }).click();
    await settled(page);
    const answer = lastAssistant(page);
    assert.equal(await answer.getAttribute('data-status'), 'complete');
    await answer.locator('.markdown', { hasText: 'Subscriber updates are on.' }).waitFor();
    await openPanel();
    const done = answer.locator('.tool-step');
    assert.equal(await done.getAttribute('data-status'), 'ok');
    assert.equal(await done.locator('.tool-step-confirm').count(), 0, 'the buttons are gone');
    const output = await resultText();
    assert.match(output, /^Started simulated resource updated notifications/);

    const followUp = upstream.chatRequests[first + 1]?.body as Sent;
    assert.deepEqual(
      followUp.messages.map((m) => m.role),
      ['user', 'assistant', 'tool'],
    );
    assert.equal(followUp.messages[2]?.tool_call_id, 'call_run1');
    assert.match(String(followUp.messages[2]?.content), /^Started simulated resource updated/);
    const [step] = await storedSteps(page);
    assert.equal(step?.result?.isError, false);
    assert.equal(step?.result?.content, output);
  });

  test('a reload while the call waits shows the buttons again; Don’t run gives the model "declined"', async () => {
    const first = upstream.chatRequests.length;
    upstream.enqueue(
      { lines: callRound('call_skip', 'Toggle again? Let me ask. ') },
      { lines: answerRound('The user said no.', 'I left subscriber updates as they were.') },
    );
    await sendWithTool('Toggle subscriber updates again.');
    await checkWaitingCard();

    // A reload replays the stream: the call still waits, so the buttons are back.
    await page.reload();
    await waitingCard().waitFor();
    const card = await checkWaitingCard();
    assert.equal(upstream.chatRequests.length, first + 1);

    await card.getByRole('button', { name: "Don't run", exact: true }).click();
    await settled(page);
    const answer = lastAssistant(page);
    assert.equal(await answer.getAttribute('data-status'), 'complete');
    await answer.locator('.markdown', { hasText: 'I left subscriber updates as they were.' }).waitFor();
    await openPanel();
    const done = answer.locator('.tool-step');
    assert.equal(await done.getAttribute('data-status'), 'error');
    assert.equal(await done.locator('.tool-step-label').last().textContent(), 'Error');
    assert.equal(await done.locator('.tool-step-confirm').count(), 0, 'the buttons are gone');
    assert.equal(await resultText(), DECLINED);
    await page.screenshot({ path: join(SCREENSHOTS, 'tool-confirm-declined.png') });

    // The upstream's next request carries the declined result, not the tool's output.
    assert.equal(upstream.chatRequests.length, first + 2);
    const followUp = upstream.chatRequests[first + 1]?.body as Sent;
    assert.deepEqual(
      followUp.messages.map((m) => m.role),
      ['user', 'assistant', 'tool'],
    );
    assert.equal(followUp.messages[2]?.tool_call_id, 'call_skip');
    assert.equal(followUp.messages[2]?.content, DECLINED);
    const [step] = await storedSteps(page);
    assert.deepEqual(step?.result && { ...step.result, ms: 0 }, { content: DECLINED, isError: true, ms: 0 });
  });

  test('the declined call toggled nothing: the next run stops what the first one started', async () => {
    const first = upstream.chatRequests.length;
    upstream.enqueue(
      { lines: callRound('call_run2', 'Toggle once more. ') },
      { lines: answerRound('Done.', 'Subscriber updates are off now.') },
    );
    await sendWithTool('Toggle subscriber updates once more.');
    await checkWaitingCard();
    await waitingCard().getByRole('button', { name: 'Run', exact: true }).click();
    await settled(page);
    await lastAssistant(page).locator('.markdown', { hasText: 'Subscriber updates are off now.' }).waitFor();
    await openPanel();
    assert.equal(await lastAssistant(page).locator('.tool-step').getAttribute('data-status'), 'ok');
    // Had "Don't run" run the tool, this call would have started updates again.
    assert.match(await resultText(), /^Stopped simulated resource updates/);
    const followUp = upstream.chatRequests[first + 1]?.body as Sent;
    assert.match(String(followUp.messages[2]?.content), /^Stopped simulated resource updates/);
  });

  test('no page errors, dialogs or requests off the server', () => {
    assertQuietPage(app.watch);
  });
});
