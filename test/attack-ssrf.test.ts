/**
 * SSRF through the admin model pull (issue 9, item 4): every spelling of loopback, private and metadata
 * addresses is refused up front with one generic message, and a redirect from an allow-listed mirror to
 * loopback is refused in the background without the target ever being contacted.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { REFUSED_MESSAGE } from '../src/inference/net/guarded-fetch.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

describe('attack: SSRF through the admin model pull', () => {
  let server: TestServer;
  let admin: string;
  let mirror: Server;
  let mirrorPort: number;
  let secret: Server;
  let secretPort: number;
  let secretHits = 0;

  before(async () => {
    secret = createServer((_req, res) => {
      secretHits++;
      res.end('internal secret');
    });
    secretPort = await listen(secret);
    mirror = createServer((_req, res) => {
      res.writeHead(302, { location: `http://127.0.0.1:${secretPort}/model.gguf` });
      res.end();
    });
    mirrorPort = await listen(mirror);
    // The mirror is reached by name (localhost), allow-listed by name only; 127.0.0.1 itself is not.
    server = await startTestServer({ config: { fetch: { allowPrivateHosts: ['localhost'] } } });
    admin = (await server.signup()).cookie;
  });
  after(async () => {
    await server?.close();
    await new Promise((r) => mirror?.close(r));
    await new Promise((r) => secret?.close(r));
  });

  const pull = (source: string) =>
    server.request('/api/admin/models/pull', { method: 'POST', cookie: admin, json: { source } });

  test('loopback, private, link-local, mapped and metadata addresses are refused in every spelling', async () => {
    const hosts = [
      '127.0.0.1',
      '0.0.0.0',
      '[::ffff:127.0.0.1]',
      '[::ffff:7f00:1]',
      '2130706433',
      '0x7f.1',
      '169.254.169.254',
      '[::1]',
      '10.0.0.8',
      '192.168.0.1',
      '[fc00::1]',
      '[fe80::1]',
    ];
    for (const host of hosts) {
      for (const port of [secretPort, 9]) {
        const res = await pull(`http://${host}:${port}/m.gguf`);
        assert.equal(res.status, 400, host);
        const body = (await res.json()) as { error: { message: string } };
        // One sentence for open and closed ports alike: nothing to scan with.
        assert.equal(body.error.message, REFUSED_MESSAGE, host);
      }
    }
    assert.equal(secretHits, 0);
  });

  test('a redirect from an allow-listed mirror to loopback is refused and never reaches the target', async () => {
    const res = await pull(`http://localhost:${mirrorPort}/model.gguf`);
    assert.equal(res.status, 202);
    const { pullId } = (await res.json()) as { pullId: string };
    let entry: { state: string; detail?: string } | undefined;
    for (let i = 0; i < 100; i++) {
      const list = (await (await server.request('/api/admin/models', { cookie: admin })).json()) as {
        models: Array<{ state: string; detail?: string; pullId?: string }>;
      };
      entry = list.models.find((m) => m.pullId === pullId);
      if (entry?.state === 'unavailable') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(entry?.state, 'unavailable');
    assert.equal(entry?.detail, REFUSED_MESSAGE);
    assert.equal(secretHits, 0);
    // The detail went to the log for the administrator.
    assert.ok(server.logs.some((l) => l.includes('FetchRefused') && l.includes('loopback')));
  });
});
