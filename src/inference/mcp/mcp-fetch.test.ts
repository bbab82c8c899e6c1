import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { FetchRefused } from '../net/guarded-fetch.ts';
import { createMcpFetch } from './mcp-fetch.ts';

describe('the MCP fetch', () => {
  const seen: Array<{ method?: string; url?: string; headers: IncomingHttpHeaders; body: string }> = [];
  let server: Server;
  let base = '';

  before(async () => {
    server = createServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      if (req.url === '/stream') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: one\n\n');
        setTimeout(() => res.end('data: two\n\n'), 50);
        return;
      }
      res.writeHead(req.url === '/moved' ? 302 : 200, {
        location: 'http://elsewhere.example/',
        'content-type': 'application/json',
      });
      res.end('{"ok":true}');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => server.close());

  test('a private address is refused unless allow-listed', async () => {
    const { fetch, close } = createMcpFetch({ url: `${base}/mcp`, timeoutMs: 2000 });
    await assert.rejects(fetch(`${base}/mcp`), FetchRefused);
    close();
    assert.equal(seen.length, 0);
  });

  test('POST and DELETE with a body; headers only for the server origin; redirects not followed', async () => {
    const { fetch, close } = createMcpFetch({
      url: `${base}/mcp`,
      headers: { Authorization: 'Bearer s3cret', 'X-Team': 'blue' },
      allowPrivateHosts: ['127.0.0.1', 'localhost'],
      timeoutMs: 2000,
    });
    try {
      const res = await fetch(`${base}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer other' },
        body: '{"jsonrpc":"2.0"}',
      });
      assert.deepEqual(await res.json(), { ok: true });
      const post = seen.at(-1);
      assert.equal(post?.method, 'POST');
      assert.equal(post?.body, '{"jsonrpc":"2.0"}');
      assert.equal(post?.headers.authorization, 'Bearer s3cret');
      assert.equal(post?.headers['x-team'], 'blue');
      await (await fetch(`${base}/mcp`, { method: 'DELETE' })).text();
      assert.equal(seen.at(-1)?.method, 'DELETE');
      // Another origin (same host, other name) never gets the configured headers.
      const other = base.replace('127.0.0.1', 'localhost');
      await (await fetch(`${other}/mcp`)).text();
      assert.equal(seen.at(-1)?.headers.authorization, undefined);
      assert.equal(seen.at(-1)?.headers['x-team'], undefined);
      const moved = await fetch(`${base}/moved`, { redirect: 'manual' });
      assert.equal(moved.status, 302);
      await moved.text();
    } finally {
      close();
    }
  });

  test('a response body streams as it arrives', async () => {
    const { fetch, close } = createMcpFetch({ url: base, allowPrivateHosts: ['127.0.0.1'], timeoutMs: 2000 });
    try {
      const res = await fetch(`${base}/stream`);
      const reader = res.body?.getReader();
      const first = await reader?.read();
      assert.equal(new TextDecoder().decode(first?.value), 'data: one\n\n');
      let rest = '';
      for (let r = await reader?.read(); r && !r.done; r = await reader?.read())
        rest += new TextDecoder().decode(r.value);
      assert.equal(rest, 'data: two\n\n');
    } finally {
      close();
    }
  });
});
