/**
 * SSRF through the model's tools (issue 12): every address spelling the guarded fetcher refuses for model
 * pulls is refused through `fetch_url`, and through search results that point at them, with a loopback
 * "secret" server counting any request that gets through. The search provider itself is allow-listed by
 * its host name only (as an admin allows a LAN SearXNG), which must not open its address to page reads.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { configSchema } from '../src/config/schema.ts';
import { ToolRegistry } from '../src/core/turns/tool-registry.ts';
import { webTools } from '../src/core/turns/web-tools.ts';
import { ScriptedServer } from '../src/inference/web/search-contract.ts';
import { searxResults } from './search-fixture.ts';

const HOSTS = [
  '127.0.0.1',
  'localhost',
  '0.0.0.0',
  '[::ffff:127.0.0.1]',
  '[::ffff:7f00:1]',
  '2130706433',
  '0x7f.1',
  '0177.0.0.1',
  '127.1',
  '169.254.169.254',
  '[::ffff:169.254.169.254]',
  '[::1]',
  '10.0.0.8',
  '192.168.0.1',
  '[fc00::1]',
  '[fe80::1]',
];

describe('SSRF through fetch_url and web_search', () => {
  let secret: Server;
  let secretPort = 0;
  let secretHits = 0;
  const searx = new ScriptedServer();
  let registry: ToolRegistry;

  before(async () => {
    secret = createServer((_req, res) => {
      secretHits++;
      res.end('internal secret');
    });
    await new Promise<void>((r) => secret.listen(0, '127.0.0.1', r));
    secretPort = (secret.address() as AddressInfo).port;
    await searx.start();
    const searxPort = new URL(searx.baseUrl).port;
    const config = configSchema.parse({
      fetch: { allowPrivateHosts: ['search.internal'] },
      search: { provider: 'searxng', baseUrl: `http://search.internal:${searxPort}`, maxResults: 10 },
    });
    // `search.internal` is the admin's LAN SearXNG (here on loopback); everything else resolves as usual.
    const resolve = async (host: string) =>
      host === 'search.internal' ? [{ address: '127.0.0.1', family: 4 }] : [{ address: host, family: 4 }];
    registry = new ToolRegistry(webTools(config, { resolve }));
  });
  after(async () => {
    await new Promise((r) => secret.close(r));
    await searx.stop();
  });

  const call = (name: string, args: object) =>
    registry.execute(
      { id: 'c', name, arguments: JSON.stringify(args) },
      { userId: 'u1', signal: AbortSignal.timeout(20_000) },
    );

  test('fetch_url refuses every spelling, with one sentence for open and closed ports', async () => {
    for (const host of HOSTS) {
      for (const port of [secretPort, 9]) {
        const out = await call('fetch_url', { url: `http://${host}:${port}/admin` });
        assert.equal(out.isError, true, `${host}:${port}`);
        assert.match(out.content, /not allowed/, `${host}:${port}: ${out.content}`);
        assert.doesNotMatch(out.content, /ECONNREFUSED|internal secret|closed|timeout/i, host);
      }
    }
    // The allow-listed search host's name opens only that name, not its address.
    const searxPort = new URL(searx.baseUrl).port;
    const direct = await call('fetch_url', { url: `http://127.0.0.1:${searxPort}/search` });
    assert.equal(direct.isError, true);
    assert.equal(secretHits, 0);
  });

  test('search results pointing at internal addresses are not read', async () => {
    searx.fallback = searxResults(
      HOSTS.slice(0, 10).map((host) => ({
        url: `http://${host}:${secretPort}/secret`,
        title: `internal ${host}`,
        content: 'snippet',
      })),
    );
    const out = await call('web_search', { query: 'internal things' });
    assert.equal(secretHits, 0, 'no result page reached the internal server');
    assert.doesNotMatch(out.content, /internal secret/);
    assert.match(out.content, /Not read: /);
  });
});
