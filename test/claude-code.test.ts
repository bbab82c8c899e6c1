/**
 * A real agent client on the Messages API: Claude Code (`@anthropic-ai/claude-code`, its native Linux
 * binary) in print mode with `ANTHROPIC_BASE_URL` pointed at Ponder, the embedded engine on the generated
 * tiny model. A recorder on loopback passes every byte through and notes each request's path, status
 * and SSE event names, so the test checks the protocol; the model's answer is noise.
 *
 * The npm package's postinstall (which copies the platform binary into `bin/claude.exe`) may not have run:
 * the binary is taken from `@anthropic-ai/claude-code-linux-x64` directly. It is a self-contained
 * executable, so it needs no particular Node version; the test skips only where no binary for this
 * platform is installed.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ensureTestModel } from '../src/inference/gguf/test-model.ts';
import { createEmbeddedProvider } from '../src/inference/llama/index.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';

const BINARY = fileURLToPath(
  new URL(
    `../node_modules/@anthropic-ai/claude-code-${process.platform}-${process.arch}/claude`,
    import.meta.url,
  ),
);
const skip = existsSync(BINARY) ? false : `no Claude Code binary for ${process.platform}-${process.arch}`;

interface Seen {
  method: string;
  path: string;
  status: number;
  version: string | undefined;
  events: string[];
}

/** Passes requests through to `target`, noting what crossed. */
async function startRecorder(
  target: string,
): Promise<{ url: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const body: Buffer[] = [];
    req.on('data', (c: Buffer) => body.push(c));
    req.on('end', () => {
      const entry: Seen = {
        method: req.method ?? '',
        path: (req.url ?? '').split('?')[0] ?? '',
        status: 0,
        version: req.headers['anthropic-version'] as string | undefined,
        events: [],
      };
      seen.push(entry);
      const out = http.request(
        {
          host: upstream.hostname,
          port: upstream.port,
          path: req.url,
          method: req.method,
          headers: req.headers,
        },
        (r) => {
          entry.status = r.statusCode ?? 0;
          res.writeHead(entry.status, r.headers);
          r.on('data', (c: Buffer) => {
            for (const m of c.toString().matchAll(/^event: (\w+)$/gm)) entry.events.push(m[1] as string);
            res.write(c);
          });
          r.on('end', () => res.end());
        },
      );
      out.on('error', () => res.destroy());
      out.end(Buffer.concat(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('Claude Code → Ponder (Messages API)', { skip }, () => {
  let server: TestServer;
  let recorder: Awaited<ReturnType<typeof startRecorder>>;
  let key: string;
  let home: string;

  before(async () => {
    // Claude Code's own prompt (environment notes, the structured-output tool) outgrows the default
    // test context of 1024 tokens.
    const path = await ensureTestModel('tiny');
    const engine = createEmbeddedProvider({
      models: { tiny: path },
      defaultModel: 'tiny',
      slots: 1,
      contextSize: 4096,
      batchSize: 256,
      threads: 1,
    });
    server = await startTestServer({
      deps: {
        providers: [engine],
        engine,
        defaultModel: 'tiny',
        modelStatus: () => ({ state: 'ready' as const, model: 'tiny' }),
      },
    });
    const closeServer = server.close.bind(server);
    server.close = async () => {
      await closeServer();
      await engine[Symbol.asyncDispose]();
    };
    const { cookie } = await server.signup();
    const res = await server.request('/api/keys', { method: 'POST', cookie, json: { name: 'claude-code' } });
    key = ((await res.json()) as { key: string }).key;
    recorder = await startRecorder(server.baseUrl);
    home = await mkdtemp(join(tmpdir(), 'ponder-claude-code-'));
  });
  after(async () => {
    await recorder?.close();
    await server?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  test('claude -p completes a request end to end over the Messages API', async (t) => {
    const schema = {
      type: 'object',
      properties: { greeting: { type: 'string', maxLength: 12 } },
      required: ['greeting'],
      additionalProperties: false,
    };
    const { stdout, code } = await new Promise<{ stdout: string; code: number | null }>((resolve) => {
      const child = execFile(
        BINARY,
        [
          '-p',
          'Say hi',
          '--model',
          'tiny',
          '--tools',
          '',
          '--system-prompt',
          'Be brief.',
          '--max-turns',
          '3',
          '--json-schema',
          JSON.stringify(schema),
          '--output-format',
          'json',
        ],
        {
          cwd: home,
          timeout: 240_000,
          maxBuffer: 8 * 1024 * 1024,
          // A clean environment: no user config, no network besides Ponder on loopback.
          env: {
            PATH: '/usr/bin:/bin',
            HOME: home,
            TERM: 'dumb',
            ANTHROPIC_BASE_URL: recorder.url,
            ANTHROPIC_API_KEY: key,
            DISABLE_TELEMETRY: '1',
            DISABLE_ERROR_REPORTING: '1',
            DISABLE_AUTOUPDATER: '1',
            CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
            CLAUDE_CODE_MAX_OUTPUT_TOKENS: '96',
            // No thinking: Claude Code then sends no `thinking`, and Ponder answers without reasoning.
            MAX_THINKING_TOKENS: '0',
          },
        },
        (_err, out) => resolve({ stdout: String(out), code: child.exitCode }),
      );
    });
    const line = stdout
      .split('\n')
      .reverse()
      .find((l) => l.startsWith('{'));
    assert.ok(line, `Claude Code printed no result (exit ${code}): ${stdout.slice(0, 2000)}`);
    const result = JSON.parse(line) as {
      type: string;
      is_error: boolean;
      num_turns: number;
      api_error_status?: number | null;
      api_error?: string | null;
      result?: string;
      usage: { input_tokens: number; cache_read_input_tokens: number; output_tokens: number };
    };
    assert.equal(result.type, 'result');
    t.diagnostic(
      `claude: is_error=${result.is_error} turns=${result.num_turns} api_error=${result.api_error ?? 'none'} requests=${recorder.seen.map((s) => `${s.path} ${s.status}`).join(', ')}`,
    );

    const messages = recorder.seen.filter((s) => s.path === '/v1/messages');
    assert.ok(messages.length >= 1, JSON.stringify(recorder.seen));
    for (const m of messages) {
      assert.equal(m.status, 200, `every request was accepted: ${JSON.stringify(m)} — ${result.result}`);
      assert.equal(m.method, 'POST');
      assert.ok(m.version, 'anthropic-version sent');
      // The documented stream grammar, event by event names.
      assert.equal(m.events[0], 'message_start');
      assert.deepEqual(m.events.slice(-2), ['message_delta', 'message_stop']);
      assert.ok(!m.events.includes('error'), m.events.join());
    }
    // Claude Code read Ponder's usage from the stream.
    assert.ok(
      result.usage.input_tokens + result.usage.cache_read_input_tokens > 0,
      JSON.stringify(result.usage),
    );
    assert.ok(result.usage.output_tokens > 0);
    // A random-weight model rarely stops by itself: Claude Code may end with its own verdict on the output
    // (the output-token limit, or turns used up), never with an API error.
    assert.ok(!result.api_error_status, `API error: ${result.result}`);
    if (result.is_error)
      assert.ok(
        result.api_error === 'max_output_tokens' || /max.?turns/i.test(JSON.stringify(result)),
        JSON.stringify(result).slice(0, 2000),
      );
  });
});
