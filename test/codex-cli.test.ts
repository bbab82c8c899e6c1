/**
 * A real agent client on the Responses API: Codex CLI (`@openai/codex`, `codex exec`, non-interactive)
 * pointed at Ponder through a custom model provider with `wire_api = "responses"`, in a temporary
 * CODEX_HOME, the API key from the environment. The generated tiny model answers noise; the protocol
 * must hold: Codex's request (developer messages, function tools, `reasoning.summary`, `store: false`,
 * `include: ['reasoning.encrypted_content']`, `prompt_cache_key`, `client_metadata`) is accepted, the
 * stream parses, and the turn completes.
 *
 * Two Ponders: one on the embedded engine with a 4096-token context (the tiny model's full length;
 * Codex's prompt and tool schemas do not fit the 1024 tokens other tests use), and one whose upstream
 * model is a scripted chat-completions server that ends its answer. A random-weight model never ends its
 * answer before the token limit, so Ponder rightly reports `response.incomplete`, which Codex treats as a
 * failed turn; the scripted model (a wire-format stand-in, not a feature) lets Codex finish its turn.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureTestModel } from '../src/inference/gguf/test-model.ts';
import { createEmbeddedProvider, type EmbeddedProvider } from '../src/inference/llama/index.ts';
import { createUpstreamPool } from '../src/inference/upstream/pool.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';

const CODEX = join(import.meta.dirname, '..', 'node_modules', '.bin', 'codex');

function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const SCRIPTED_ANSWER = 'Hello from Ponder.';
/** A tool Codex always offers that changes nothing (outside Plan mode it answers with an error). */
const TOOL = 'request_user_input';
const TOOL_ARGS = JSON.stringify({
  questions: [
    {
      id: 'greeting',
      header: 'Greeting',
      question: 'Which greeting?',
      options: [
        { label: 'Hello (Recommended)', description: 'Plain.' },
        { label: 'Hi', description: 'Short.' },
      ],
    },
  ],
});

/** The chat-completions requests the scripted model got. */
const seen: Array<{ messages: Array<{ role: string; tool_call_id?: string }> }> = [];

/**
 * A chat-completions model that reasons a little, calls one of Codex's tools, and once it has the
 * tool's result ends its answer (`finish_reason: stop`).
 */
function scriptedModel(): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/v1/models') {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({ object: 'list', data: [{ id: 'scripted', object: 'model', owned_by: 'test' }] }),
      );
      return;
    }
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const request = JSON.parse(body) as (typeof seen)[number];
      seen.push(request);
      const answered = request.messages.some((m) => m.role === 'tool');
      const chunk = (delta: object, finish: string | null, usage?: object) =>
        `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'scripted', choices: usage ? [] : [{ index: 0, delta, finish_reason: finish }], ...(usage ? { usage } : {}) })}\n\n`;
      res.write(chunk({ role: 'assistant', content: '' }, null));
      res.write(chunk({ reasoning_content: 'A greeting is asked.' }, null));
      if (answered) {
        res.write(chunk({ content: SCRIPTED_ANSWER }, null));
        res.write(chunk({}, 'stop'));
      } else {
        // First a call of one of Codex's tools: Codex runs it and sends its output back.
        const call = {
          index: 0,
          id: 'call_scripted_1',
          type: 'function',
          function: { name: TOOL, arguments: TOOL_ARGS },
        };
        res.write(chunk({ tool_calls: [call] }, null));
        res.write(chunk({}, 'tool_calls'));
      }
      res.write(chunk({}, null, { prompt_tokens: 50, completion_tokens: 9, total_tokens: 59 }));
      res.end('data: [DONE]\n\n');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

interface CodexEvent {
  type: string;
  item?: { type: string; text?: string };
  usage?: { input_tokens?: number };
  message?: string;
  error?: { message?: string };
}

describe('Codex CLI against /v1/responses', () => {
  let embedded: TestServer;
  let scripted: TestServer;
  let engine: EmbeddedProvider;
  let model: Server;
  let home: string;

  const keyFor = async (s: TestServer) => {
    const { cookie, user } = await s.signup();
    const res = await s.request('/api/keys', { method: 'POST', cookie, json: { name: 'codex' } });
    return { key: ((await res.json()) as { key: string }).key, userId: user.id };
  };

  /** Runs `codex exec --json` with its own CODEX_HOME pointed at `server` (model `model`). */
  async function codexExec(server: TestServer, modelId: string, key: string) {
    const dir = await mkdtemp(join(home, 'codex-'));
    await writeFile(
      join(dir, 'instructions.md'),
      'You are a helpful assistant. Answer in one short sentence.\n',
    );
    // Codex's features that add tools Ponder does not run (hosted web search, sub-agents, goals, a shell)
    // are off, and so are retries, so a protocol error fails the test at once.
    await writeFile(
      join(dir, 'config.toml'),
      `model = "${modelId}"
model_provider = "ponder"
model_reasoning_effort = "minimal"
model_instructions_file = ${JSON.stringify(join(dir, 'instructions.md'))}
model_context_window = 4096
web_search = "disabled"
project_doc_max_bytes = 0
[agents]
enabled = false
[features]
goals = false
view_image = false
shell_tool = false
unified_exec = false
apps = false
plugins = false
skill_search = false
[model_providers.ponder]
name = "Ponder"
base_url = "${server.baseUrl}/v1"
env_key = "PONDER_API_KEY"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0
`,
    );
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: dir,
      CODEX_HOME: dir,
      PONDER_API_KEY: key,
      NO_COLOR: '1',
    };
    const { code, stdout, stderr } = await run(
      process.execPath,
      [CODEX, 'exec', '--json', '--skip-git-repo-check', '--sandbox', 'read-only', 'Say hello.'],
      env,
      dir,
      200_000,
    );
    const events = stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as CodexEvent);
    const failures = events.filter((e) => e.type === 'error' || e.type === 'turn.failed');
    const types = events.map((e) => e.type);
    const detail = `exit ${code}\n${stdout.slice(-4000)}\n${JSON.stringify(failures)}\n${stderr.slice(-3000)}`;
    return { code, events, types, failures, detail };
  }

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'ponder-codex-'));
    engine = createEmbeddedProvider({
      models: { tiny: await ensureTestModel('tiny') },
      defaultModel: 'tiny',
      slots: 1,
      contextSize: 4096,
      batchSize: 256,
      threads: 1,
    });
    embedded = await startTestServer({
      deps: {
        providers: [engine],
        engine,
        defaultModel: 'tiny',
        modelStatus: () => ({ state: 'ready' as const, model: 'tiny' }),
      },
    });
    model = await scriptedModel();
    const port = (model.address() as AddressInfo).port;
    const pool = createUpstreamPool(
      [{ id: 'scripted', baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: 'none', reasoningFormat: 'auto' }],
      { healthCheckIntervalMs: 0 },
    );
    scripted = await startTestServer({
      deps: { providers: [pool], upstreamPools: [pool], defaultModel: 'scripted' },
    });
  });
  after(async () => {
    await scripted?.close();
    await embedded?.close();
    await engine?.[Symbol.asyncDispose]();
    await new Promise((resolve) => model?.close(resolve));
    if (home) await rm(home, { recursive: true, force: true });
  });

  test('codex exec completes a turn through Ponder: a tool call, its output, an answer', {
    timeout: 240_000,
  }, async () => {
    const { key, userId } = await keyFor(scripted);
    const since = new Date(Date.now() - 1000);
    const { code, events, types, detail } = await codexExec(scripted, 'scripted', key);
    assert.equal(code, 0, detail);
    assert.ok(types.includes('turn.completed') && !types.includes('turn.failed'), detail);
    const message = events.find((e) => e.type === 'item.completed' && e.item?.type === 'agent_message');
    assert.equal(message?.item?.text, SCRIPTED_ANSWER, detail);
    const completed = events.find((e) => e.type === 'turn.completed');
    // Two requests: the call, then its output sent back through Ponder (store: false, so Codex replays
    // the whole turn: its items, the reasoning sealed for this account, the call and its output).
    assert.equal(completed?.usage?.input_tokens, 100, detail);
    assert.equal(seen.length, 2);
    assert.ok(seen[1]?.messages.some((m) => m.role === 'tool' && m.tool_call_id === 'call_scripted_1'));
    const totals = await scripted.store.usage.totals(userId, since);
    assert.ok(JSON.stringify(totals).match(/[1-9]/), JSON.stringify(totals));
    assert.ok(!scripted.logs.some((l) => l.includes(key)));
  });

  test('codex exec on the embedded engine: the request is served and the stream read to its end', {
    timeout: 240_000,
  }, async () => {
    const { key, userId } = await keyFor(embedded);
    const since = new Date(Date.now() - 1000);
    const { types, failures, detail } = await codexExec(embedded, 'tiny', key);
    assert.ok(types.includes('turn.started'), detail);
    // The random-weight model answers until its token limit: Ponder's `response.incomplete` reaches Codex
    // as such (or the turn completes, when it happens to end). Never a refused request or a broken stream.
    if (!types.includes('turn.completed')) {
      const message = failures.map((f) => f.message ?? f.error?.message ?? '').join(' ');
      assert.match(
        message,
        /Incomplete response returned, reason: max_output_tokens|generation failed/,
        detail,
      );
    }
    const totals = await embedded.store.usage.totals(userId, since);
    assert.ok(JSON.stringify(totals).match(/[1-9]/), JSON.stringify(totals));
    assert.ok(!embedded.logs.some((l) => l.includes(key)));
  });
});
