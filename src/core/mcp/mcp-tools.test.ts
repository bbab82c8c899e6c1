/**
 * MCP tools against the real `@modelcontextprotocol/server-everything`, over stdio and over Streamable
 * HTTP on loopback: listing, calls, tool errors, time limits, a server killed mid-call, list changes,
 * OAuth and address refusals, and the tool contract. Every process started here is stopped.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { configSchema, mcpSchema } from '../../config/schema.ts';
import { McpFailure, OAUTH_MESSAGE } from '../../inference/mcp/mcp-connection.ts';
import { runToolContract } from '../turns/tool-contract.ts';
import { type PonderTool, ToolRegistry } from '../turns/tool-registry.ts';
import { McpTools, resultText, toolName } from './mcp-tools.ts';
import { EVERYTHING_SERVER, freePort, killPid, startEverythingHttp, stopProcess } from './testing.ts';

const stdioServer = (timeoutMs = 30_000) => ({
  id: 'everything',
  command: process.execPath,
  args: [EVERYTHING_SERVER, 'stdio'],
  timeoutMs,
});

function registryOf(tools: PonderTool[]): ToolRegistry {
  return new ToolRegistry(tools, { timeoutMs: 20_000 });
}

function run(registry: ToolRegistry, name: string, args: unknown) {
  return registry.execute(
    { id: 'c1', name, arguments: JSON.stringify(args) },
    { userId: 'u1', signal: AbortSignal.timeout(25_000) },
  );
}

// The contract needs the tool when the file loads: one stdio server for it, closed at the end.
const contractTools = new McpTools(mcpSchema.parse({ allowLocalProcesses: true, servers: [stdioServer()] }));
const echo = (await contractTools.listTools()).find((t) => t.definition.name === 'mcp_everything_echo');
assert.ok(echo, 'the echo tool is listed');
after(() => contractTools.close());
runToolContract(echo, { valid: { message: 'hello' }, invalid: { message: 42 } });

for (const kind of ['stdio', 'http'] as const) {
  describe(`MCP over ${kind}`, () => {
    let port = 0;
    let http: ChildProcess | undefined;
    const opened: McpTools[] = [];
    const changed: string[] = [];

    const open = (timeoutMs = 30_000) => {
      const server =
        kind === 'stdio'
          ? stdioServer(timeoutMs)
          : { id: 'everything', url: `http://127.0.0.1:${port}/mcp`, timeoutMs };
      const tools = new McpTools(
        mcpSchema.parse({ allowLocalProcesses: kind === 'stdio', servers: [server] }),
        {
          allowPrivateHosts: ['127.0.0.1'],
          onToolsChanged: (id) => changed.push(id),
        },
      );
      opened.push(tools);
      return tools;
    };

    before(async () => {
      if (kind === 'http') {
        port = await freePort();
        http = await startEverythingHttp(port);
      }
    });
    after(async () => {
      await Promise.all(opened.map((t) => t.close()));
      await stopProcess(http);
    });

    test('lists the tools with their schemas, titles and read-only hints', async () => {
      const tools = await open().listTools();
      const byName = new Map(tools.map((t) => [t.definition.name, t]));
      for (const name of ['echo', 'get-sum', 'trigger-long-running-operation', 'get-tiny-image']) {
        assert.ok(byName.has(`mcp_everything_${name}`), `mcp_everything_${name} listed`);
      }
      const echoTool = byName.get('mcp_everything_echo');
      assert.equal(echoTool?.title, 'Echo Tool');
      assert.equal(echoTool?.readOnly, true);
      assert.match(echoTool?.definition.description ?? '', /Echoes back the input string/);
      assert.deepEqual(echoTool?.definition.parameters, {
        type: 'object',
        properties: { message: { type: 'string', description: 'Message to echo' } },
        required: ['message'],
      });
      // Not declared read-only: it will need the user's confirmation.
      assert.equal(byName.get('mcp_everything_gzip-file-as-resource')?.readOnly, false);
      assert.equal(byName.get('mcp_everything_toggle-simulated-logging')?.readOnly, false);
      // A task-only tool cannot be called with a plain request, so it is left out.
      assert.equal(byName.has('mcp_everything_simulate-research-query'), false);
      for (const name of byName.keys()) assert.match(name, /^[A-Za-z0-9_-]{1,64}$/);
    });

    test('calls a tool; images are summarised', async () => {
      const registry = registryOf(await open().listTools());
      const sum = await run(registry, 'mcp_everything_get-sum', { a: 2, b: 40 });
      assert.deepEqual([sum.isError, sum.content], [false, 'The sum of 2 and 40 is 42.']);
      const echoed = await run(registry, 'mcp_everything_echo', { message: 'hi there' });
      assert.equal(echoed.content, 'Echo: hi there');
      const image = await run(registry, 'mcp_everything_get-tiny-image', {});
      assert.equal(image.isError, false);
      assert.match(image.content, /\[image, image\/png, \d+(\.\d+)? k?B\]/);
      assert.doesNotMatch(image.content, /iVBORw0KGgo/, 'no base64 for the model');
    });

    test("a tool's error result reaches the model as an error result with its text", async () => {
      const registry = registryOf(await open().listTools());
      const out = await run(registry, 'mcp_everything_gzip-file-as-resource', {
        data: 'ftp://example.com/x',
      });
      assert.equal(out.isError, true);
      assert.match(out.content, /^error: the MCP tool reported an error: .*Unsupported URL protocol/);
      const bad = await run(registry, 'mcp_everything_get-sum', { a: 'two', b: 1 });
      assert.equal(bad.isError, true);
      assert.match(bad.content, /^error: invalid arguments: /);
    });

    test("a slow tool past the server's time limit is an error result; the connection stays usable", async () => {
      const registry = registryOf(await open(700).listTools());
      const started = Date.now();
      const out = await run(registry, 'mcp_everything_trigger-long-running-operation', {
        duration: 5,
        steps: 1,
      });
      assert.equal(out.isError, true);
      assert.match(out.content, /did not answer within 0\.7 s/);
      assert.ok(Date.now() - started < 4000);
      const after = await run(registry, 'mcp_everything_echo', { message: 'still here' });
      assert.equal(after.content, 'Echo: still here');
    });

    test('a server killed mid-call gives an error result, and the next call reconnects', async () => {
      const tools = open();
      const registry = registryOf(await tools.listTools());
      const pending = run(registry, 'mcp_everything_trigger-long-running-operation', {
        duration: 10,
        steps: 10,
      });
      await new Promise((r) => setTimeout(r, 500));
      const started = Date.now();
      if (kind === 'stdio') {
        const pid = tools.connection('everything')?.pid;
        assert.ok(pid, 'a process runs');
        await killPid(pid);
      } else {
        await stopProcess(http);
      }
      const out = await pending;
      assert.equal(out.isError, true);
      assert.match(out.content, /MCP server "everything"/);
      assert.ok(Date.now() - started < 5000, `ended ${Date.now() - started} ms after the kill`);
      if (kind === 'http') http = await startEverythingHttp(port);
      const next = await run(registry, 'mcp_everything_echo', { message: 'back' });
      assert.deepEqual([next.isError, next.content], [false, 'Echo: back']);
    });

    // server-everything's one list change is announced while it handles `notifications/initialized`,
    // before a Streamable HTTP client has opened its event stream, so over HTTP it is never delivered.
    const listChangedSkip =
      kind === 'http' &&
      'server-everything sends its only tools/list_changed before the HTTP event stream opens';
    test('tools/list_changed refreshes the list', { skip: listChangedSkip }, async () => {
      // The server registers its task tool after initialisation and announces it with list_changed.
      const before = changed.length;
      const tools = open();
      await tools.listTools();
      for (let i = 0; i < 100 && changed.length === before; i++) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(changed.slice(before), ['everything']);
      const raw = await tools.connection('everything')?.tools();
      assert.ok(raw?.some((t) => t.name === 'simulate-research-query'));
    });
  });
}

describe('MCP refusals', () => {
  test('a stdio server is a config error unless local processes are allowed', () => {
    const parsed = configSchema.safeParse({ mcp: { servers: [stdioServer()] } });
    assert.equal(parsed.success, false);
    assert.match(parsed.error?.issues[0]?.message ?? '', /mcp\.allowLocalProcesses/);
    assert.deepEqual(parsed.error?.issues[0]?.path, ['mcp', 'servers', 0, 'command']);
    assert.equal(
      configSchema.safeParse({ mcp: { allowLocalProcesses: true, servers: [stdioServer()] } }).success,
      true,
    );
    assert.equal(configSchema.parse({}).mcp.allowLocalProcesses, false);
    const both = mcpSchema.safeParse({
      servers: [{ id: 'x', url: 'https://mcp.example.com/', command: 'x' }],
    });
    assert.equal(both.success, false);
    const creds = mcpSchema.safeParse({ servers: [{ id: 'x', url: 'https://u:p@mcp.example.com/' }] });
    assert.equal(creds.success, false);
  });

  test('a stdio command that cannot start is left out of the tools and logged', async () => {
    const warnings: string[] = [];
    const tools = new McpTools(
      mcpSchema.parse({
        allowLocalProcesses: true,
        servers: [{ id: 'gone', command: '/nonexistent/mcp-server' }],
      }),
      { logger: { warn: (obj) => warnings.push(JSON.stringify(obj)) } },
    );
    try {
      assert.deepEqual(await tools.listTools(), []);
      assert.ok(warnings.some((w) => /could not be started/.test(w)));
    } finally {
      await tools.close();
    }
  });

  test('an HTTP server at a private address is refused unless allow-listed', async () => {
    const tools = new McpTools(
      mcpSchema.parse({ servers: [{ id: 'internal', url: 'http://127.0.0.1:9/mcp' }] }),
    );
    try {
      await assert.rejects(tools.connection('internal')?.tools() ?? Promise.reject(), (err: unknown) => {
        assert.ok(err instanceof McpFailure);
        assert.equal(err.kind, 'refused');
        assert.match(err.message, /fetch\.allowPrivateHosts/);
        return true;
      });
      assert.deepEqual(await tools.listTools(), []);
    } finally {
      await tools.close();
    }
  });

  test('a server that answers 401 with an OAuth challenge is refused clearly', async () => {
    let authorization: string | undefined;
    const server = createServer((req, res) => {
      authorization = req.headers.authorization;
      res.writeHead(401, {
        'www-authenticate':
          'Bearer resource_metadata="http://127.0.0.1/.well-known/oauth-protected-resource"',
        'content-type': 'application/json',
      });
      res.end('{"error":"unauthorized"}');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    const tools = new McpTools(
      mcpSchema.parse({
        servers: [{ id: 'oauth', url: `http://127.0.0.1:${port}/mcp`, headers: { 'X-Team': 'blue' } }],
      }),
      { allowPrivateHosts: ['127.0.0.1'] },
    );
    try {
      await assert.rejects(tools.connection('oauth')?.tools() ?? Promise.reject(), (err: unknown) => {
        assert.ok(err instanceof McpFailure);
        assert.equal(err.kind, 'oauth_required');
        assert.equal(err.message, OAUTH_MESSAGE);
        return true;
      });
      assert.equal(authorization, undefined);
    } finally {
      await tools.close();
      server.close();
    }
  });
});

describe('MCP tool names and results', () => {
  test('names are sanitised, at most 64 characters, and unique', () => {
    assert.equal(toolName('files', 'read.file'), 'mcp_files_read_file');
    const long = toolName('server', 'x'.repeat(100));
    assert.equal(long.length, 64);
    assert.match(long, /^mcp_server_x+_[0-9a-f]{8}$/);
    const clash = toolName('a', 'b_c', new Set(['mcp_a_b_c']));
    assert.notEqual(clash, 'mcp_a_b_c');
    assert.match(clash, /^[A-Za-z0-9_-]{1,64}$/);
  });

  test('results: text kept, other blocks summarised, structured content when nothing else', () => {
    const text = resultText({
      content: [
        { type: 'text', text: 'one' },
        { type: 'audio', data: 'A'.repeat(4096), mimeType: 'audio/wav' },
        { type: 'resource_link', name: 'doc', uri: 'demo://doc', mimeType: 'text/plain' },
        { type: 'resource', resource: { uri: 'demo://t', text: 'inner' } },
        { type: 'resource', resource: { uri: 'demo://b', blob: 'AAAA', mimeType: 'application/gzip' } },
      ],
    });
    assert.equal(
      text,
      'one\n[audio, audio/wav, 3 kB]\n[resource link: doc <demo://doc>, text/plain]\n[resource <demo://t>]\ninner\n[resource <demo://b>, application/gzip, 3 B]',
    );
    assert.equal(resultText({ content: [], structuredContent: { t: 1 } }), '{"t":1}');
    assert.equal(resultText({ content: [] }), '(the tool returned no content)');
  });
});
