import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  createGuardedFetch,
  FAILED_MESSAGE,
  FetchFailed,
  FetchRefused,
  REFUSED_MESSAGE,
} from './guarded-fetch.ts';

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  assert.fail('expected a rejection');
}

describe('guarded fetch', () => {
  let server: Server;
  let port: number;
  let closedPort: number;
  const logged: Array<{ obj: object; msg: string }> = [];
  const logger = { warn: (obj: object, msg: string) => logged.push({ obj, msg }) };

  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/to-loopback') {
        res.writeHead(302, { location: `http://127.0.0.1:${port}/secret` });
        return res.end();
      }
      if (req.url === '/to-localhost') {
        res.writeHead(302, { location: `http://localhost:${port}/secret` });
        return res.end();
      }
      if (req.url === '/see-other' || req.url === '/temporary') {
        res.writeHead(req.url === '/see-other' ? 303 : 307, { location: '/echo' });
        return res.end();
      }
      if (req.url === '/echo') {
        let body = '';
        req.on('data', (c: Buffer) => {
          body += c.toString();
        });
        req.on('end', () => {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end(`${req.method} ${req.headers['content-type'] ?? '-'} ${body}`);
        });
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain', 'x-host': req.headers.host ?? '' });
      res.end(`hello from ${req.url}`);
    });
    port = await listen(server);
    const probe = createServer();
    closedPort = await listen(probe);
    await new Promise((r) => probe.close(r));
  });
  after(() => new Promise((r) => server.close(r)));

  // Every one of these reached loopback or metadata before the guard (issue 9, item 4).
  const spellings = [
    'http://127.0.0.1/',
    'http://localhost/',
    'http://LOCALHOST./',
    'http://api.localhost/',
    'http://0.0.0.0/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:7f00:1]/',
    'http://2130706433/',
    'http://0x7f.1/',
    'http://0177.0.0.1/',
    'http://127.1/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::ffff:169.254.169.254]/',
    'http://[::1]/',
    'http://[::]/',
    'http://[::127.0.0.1]/',
    'http://10.0.0.1/',
    'http://172.16.5.4/',
    'http://192.168.1.1/',
    'http://100.64.0.1/',
    'http://[fc00::1]/',
    'http://[fd12:3456::1]/',
    'http://[fe80::1]/',
    'http://224.0.0.1/',
    'http://255.255.255.255/',
  ];

  for (const url of spellings) {
    test(`refuses ${url} (parsed host ${new URL(url).hostname})`, async () => {
      const fetch = createGuardedFetch({ logger });
      const err = await rejection(fetch(url));
      assert.ok(err instanceof FetchRefused, `${url}: ${err}`);
      assert.equal(err.message, REFUSED_MESSAGE);
    });
  }

  test('WHATWG URL parsing normalises numeric IPv4 spellings to dotted loopback', () => {
    for (const u of ['http://2130706433/', 'http://0x7f.1/', 'http://0177.0.0.1/', 'http://127.1/']) {
      assert.equal(new URL(u).hostname, '127.0.0.1', u);
    }
  });

  test('a hostname is refused when ANY of its addresses is private', async () => {
    const fetch = createGuardedFetch({
      resolve: async () => [
        { address: '93.184.216.34', family: 4 },
        { address: '10.1.2.3', family: 4 },
      ],
    });
    assert.ok((await rejection(fetch('http://mixed.example/'))) instanceof FetchRefused);
    const mapped = createGuardedFetch({ resolve: async () => [{ address: '::ffff:127.0.0.1', family: 6 }] });
    assert.ok((await rejection(mapped('http://rebind.example/'))) instanceof FetchRefused);
  });

  test('non-http schemes and credentials in the URL are refused', async () => {
    const fetch = createGuardedFetch();
    for (const url of ['file:///etc/passwd', 'ftp://example.com/x', 'http://user:pw@example.com/']) {
      assert.ok((await rejection(fetch(url))) instanceof FetchRefused, url);
    }
  });

  test('the allow-list lets the loopback test server through, by CIDR or by name', async () => {
    for (const entry of ['127.0.0.0/8', '127.0.0.1', 'localhost']) {
      const fetch = createGuardedFetch({ allowPrivateHosts: [entry] });
      const host = entry === 'localhost' ? 'localhost' : '127.0.0.1';
      const res = await fetch(`http://${host}:${port}/file`);
      assert.equal(res.status, 200, entry);
      assert.equal(await res.text(), 'hello from /file');
      assert.equal(res.headers.get('x-host'), `${host}:${port}`, 'Host keeps the name');
    }
  });

  test('a named host connects to the address that was checked, not a second DNS answer', async () => {
    let lookups = 0;
    const fetch = createGuardedFetch({
      allowPrivateHosts: ['mirror.internal'],
      resolve: async () => {
        lookups++;
        return [{ address: '127.0.0.1', family: 4 }];
      },
    });
    const res = await fetch(`http://mirror.internal:${port}/pinned`);
    assert.equal(await res.text(), 'hello from /pinned');
    assert.equal(res.headers.get('x-host'), `mirror.internal:${port}`);
    assert.equal(lookups, 1);
  });

  test('a redirect to loopback is refused when only the first host is allow-listed', async () => {
    const fetch = createGuardedFetch({
      allowPrivateHosts: ['mirror.internal'],
      resolve: async () => [{ address: '127.0.0.1', family: 4 }],
      logger,
    });
    for (const path of ['/to-loopback', '/to-localhost']) {
      const err = await rejection(fetch(`http://mirror.internal:${port}${path}`));
      assert.ok(err instanceof FetchRefused, `${path}: ${err}`);
      assert.equal(err.message, REFUSED_MESSAGE);
    }
    // With the target allowed as well, the redirect is followed.
    const both = createGuardedFetch({ allowPrivateHosts: ['127.0.0.1'] });
    assert.equal(await (await both(`http://127.0.0.1:${port}/to-loopback`)).text(), 'hello from /secret');
  });

  test('POST sends its body; 303 continues as a GET without it, 307 keeps it; Response.url is the final URL', async () => {
    const fetch = createGuardedFetch({ allowPrivateHosts: ['127.0.0.1'] });
    const post = {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"q":"é"}',
    } as const;
    const direct = await fetch(`http://127.0.0.1:${port}/echo`, post);
    assert.equal(await direct.text(), 'POST application/json {"q":"é"}');
    assert.equal(direct.url, `http://127.0.0.1:${port}/echo`);
    const seeOther = await fetch(`http://127.0.0.1:${port}/see-other`, post);
    assert.equal(await seeOther.text(), 'GET - ');
    assert.equal(seeOther.url, `http://127.0.0.1:${port}/echo`);
    const temporary = await fetch(`http://127.0.0.1:${port}/temporary`, post);
    assert.equal(await temporary.text(), 'POST application/json {"q":"é"}');
  });

  test("redirect: 'error' refuses a redirect instead of following it", async () => {
    const fetch = createGuardedFetch({ allowPrivateHosts: ['127.0.0.1'] });
    const err = await rejection(fetch(`http://127.0.0.1:${port}/see-other`, { redirect: 'error' }));
    assert.ok(err instanceof FetchRefused, String(err));
    assert.match(err.detail, /redirect 303 not followed/);
  });

  test('a signal aborted while the body is still arriving ends the read', async () => {
    const trickle = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.write('<p>start');
    });
    const tricklePort = await listen(trickle);
    try {
      const fetch = createGuardedFetch({ allowPrivateHosts: ['127.0.0.1'] });
      const res = await fetch(`http://127.0.0.1:${tricklePort}/`, { signal: AbortSignal.timeout(200) });
      await rejection(res.text());
    } finally {
      trickle.closeAllConnections();
      await new Promise((r) => trickle.close(r));
    }
  });

  test('a redirect loop ends after maxRedirects', async () => {
    const loop = createServer((_req, res) => {
      res.writeHead(302, { location: '/again' });
      res.end();
    });
    const loopPort = await listen(loop);
    try {
      const fetch = createGuardedFetch({ allowPrivateHosts: ['127.0.0.1'], maxRedirects: 3 });
      assert.ok((await rejection(fetch(`http://127.0.0.1:${loopPort}/`))) instanceof FetchRefused);
    } finally {
      await new Promise((r) => loop.close(r));
    }
  });

  test('closed and open-but-silent ports give the same error; the detail goes only to the log', async () => {
    const silent = createServer(() => {});
    const silentPort = await listen(silent);
    try {
      logged.length = 0;
      const fetch = createGuardedFetch({ allowPrivateHosts: ['127.0.0.1'], timeoutMs: 300, logger });
      const closed = await rejection(fetch(`http://127.0.0.1:${closedPort}/`));
      const open = await rejection(fetch(`http://127.0.0.1:${silentPort}/`));
      assert.ok(closed instanceof FetchFailed && open instanceof FetchFailed);
      assert.equal(closed.message, FAILED_MESSAGE);
      assert.equal(open.message, closed.message);
      assert.ok(!('cause' in closed) || closed.cause === undefined);
      assert.match(closed.detail, /ECONNREFUSED/);
      assert.equal(logged.length, 2);
      assert.match(JSON.stringify(logged[0]?.obj), /ECONNREFUSED/);
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
  });

  test('size and content-type caps', async () => {
    const fetch = createGuardedFetch({ allowPrivateHosts: ['127.0.0.1'], maxBytes: 4 });
    // No content-length here (chunked): the stream itself errors past the cap.
    const big = await rejection(fetch(`http://127.0.0.1:${port}/big`).then((r) => r.text()));
    assert.ok(big instanceof FetchRefused, String(big));
    const typed = createGuardedFetch({ allowPrivateHosts: ['127.0.0.1'], contentTypes: ['text/html'] });
    assert.ok((await rejection(typed(`http://127.0.0.1:${port}/x`))) instanceof FetchRefused);
  });
});
