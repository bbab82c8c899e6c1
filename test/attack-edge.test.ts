/**
 * The server's edge under attack: spoofed X-Forwarded-For, DNS-rebinding Host, racing the owner for
 * the first (admin) account, Fastify's own errors, client-chosen request ids, the CSP, oversized
 * bodies and quota 429s that SDKs would sleep on.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, describe, test } from 'node:test';
import OpenAI from 'openai';
import { deriveSetupCode } from '../src/core/accounts/index.ts';
import { CONTENT_SECURITY_POLICY } from '../src/server/security/headers.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../src/server/testing.ts';

const servers: TestServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});
async function server(options: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const s = await startTestServer(options);
  servers.push(s);
  return s;
}

const port = (s: TestServer) => Number(new URL(s.baseUrl).port);

/** One raw HTTP exchange (fetch cannot send a foreign Host or a malformed URL). */
function raw(s: TestServer, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port(s), '127.0.0.1', () => socket.write(text));
    let out = '';
    socket.on('data', (d) => {
      out += d.toString('utf8');
    });
    socket.on('close', () => resolve(out));
    socket.on('error', () => resolve(out));
  });
}

function getWithHost(s: TestServer, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: port(s), path, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function signupFrom(s: TestServer, forwardedFor: string): Promise<number> {
  const first = (await s.store.users.count()) === 0;
  const res = await s.request('/api/auth/signup', {
    method: 'POST',
    headers: { 'x-forwarded-for': forwardedFor },
    json: {
      email: `ip-${Math.random().toString(36).slice(2)}@example.com`,
      password: TEST_PASSWORD,
      ...(first && s.setupCode ? { setupCode: s.setupCode } : {}),
    },
  });
  return res.status;
}

const onePerIp = { throttle: { signupPerIp: { limit: 1, windowMs: 60_000 } } };

describe('trustProxy', () => {
  test('X-Forwarded-For is ignored when no proxy is trusted', async () => {
    const s = await server({ deps: onePerIp });
    assert.equal(await signupFrom(s, '198.51.100.1'), 201);
    // A new spoofed address does not buy a new per-IP budget: the socket's peer is the client.
    assert.equal(await signupFrom(s, '198.51.100.2'), 429);
  });

  test('a hop count trusts the last hop only; a spoofed leftmost entry changes nothing', async () => {
    const s = await server({ deps: onePerIp, config: { trustProxy: 1 } });
    assert.equal(await signupFrom(s, '198.51.100.1'), 201);
    assert.equal(await signupFrom(s, '198.51.100.2'), 201);
    assert.equal(await signupFrom(s, '203.0.113.9, 198.51.100.1'), 429);
  });

  test('a CIDR list trusts the proxies it names', async () => {
    const s = await server({ deps: onePerIp, config: { trustProxy: '127.0.0.0/8' } });
    assert.equal(await signupFrom(s, '198.51.100.1'), 201);
    assert.equal(await signupFrom(s, '198.51.100.2'), 201);
    assert.equal(await signupFrom(s, '198.51.100.1'), 429);
  });
});

describe('Host allow-list (DNS rebinding)', () => {
  test('a loopback bind answers localhost names and addresses, others get 421', async () => {
    const s = await server();
    const evil = await getWithHost(s, '/api/auth/setup', `rebind.attacker.example:${port(s)}`);
    assert.equal(evil.status, 421);
    assert.equal((JSON.parse(evil.body) as { error: { code: string } }).error.code, 'misdirected_request');
    assert.equal((await getWithHost(s, '/api/auth/setup', `localhost:${port(s)}`)).status, 200);
    assert.equal((await getWithHost(s, '/api/auth/setup', `127.0.0.1:${port(s)}`)).status, 200);
    // Health probes dial whatever address they have.
    assert.equal((await getWithHost(s, '/healthz', 'pod.internal')).status, 200);
  });

  test('publicUrl and allowedHosts add names; "*" accepts any', async () => {
    const s = await server({
      config: { publicUrl: 'https://chat.example.com', allowedHosts: ['alt.example.com'] },
    });
    assert.equal((await getWithHost(s, '/api/auth/setup', 'chat.example.com')).status, 200);
    assert.equal((await getWithHost(s, '/api/auth/setup', 'ALT.example.com')).status, 200);
    assert.equal((await getWithHost(s, '/api/auth/setup', 'other.example.com')).status, 421);
    const any = await server({ config: { allowedHosts: ['*'] } });
    assert.equal((await getWithHost(any, '/api/auth/setup', 'other.example.com')).status, 200);
  });
});

describe('setup code for the first (admin) account', () => {
  test('refused without it or with a wrong one; with it the account is admin; later ones need none', async () => {
    const s = await server();
    const setup = async () =>
      (await (await s.request('/api/auth/setup')).json()) as { setupRequired: boolean };
    assert.equal((await setup()).setupRequired, true);
    const signup = (json: Record<string, unknown>) =>
      s.request('/api/auth/signup', { method: 'POST', json: { password: TEST_PASSWORD, ...json } });
    for (const extra of [{}, { setupCode: 'WRONG-CODE0' }]) {
      const res = await signup({ email: 'racer@example.com', ...extra });
      assert.equal(res.status, 403);
      const body = (await res.json()) as { error: { code: string; details: { field: string } } };
      assert.equal(body.error.code, 'signup_closed');
      assert.equal(body.error.details.field, 'setupCode');
    }
    assert.equal(await s.store.users.count(), 0);
    const owner = await signup({ email: 'owner@example.com', setupCode: s.setupCode?.toLowerCase() });
    assert.equal(owner.status, 201);
    assert.equal(((await owner.json()) as { user: { isAdmin: boolean } }).user.isAdmin, true);
    assert.equal((await setup()).setupRequired, false);
    const next = await signup({ email: 'second@example.com' });
    assert.equal(next.status, 201);
    assert.equal(((await next.json()) as { user: { isAdmin: boolean } }).user.isAdmin, false);
  });

  test('`ponder user create --admin` (accounts.createUser) needs no code', async () => {
    const s = await server();
    const user = await s.app.ponder.accounts.createUser({
      email: 'cli@example.com',
      password: TEST_PASSWORD,
      isAdmin: true,
    });
    assert.equal(user.isAdmin, true);
  });

  test('the code is derived from the master key: stable, and different per key', () => {
    assert.equal(deriveSetupCode('a'.repeat(64)), deriveSetupCode('a'.repeat(64)));
    assert.notEqual(deriveSetupCode('a'.repeat(64)), deriveSetupCode('b'.repeat(64)));
    assert.match(deriveSetupCode('a'.repeat(64)), /^[A-Z0-9]{5}-[A-Z0-9]{5}$/);
  });
});

describe('Fastify errors, request ids, CSP', () => {
  test('a malformed URL and oversized headers answer in the documented shape without the URL', async () => {
    const s = await server();
    const bad = await raw(
      s,
      'GET /api/%c0%zzSECRETPATH HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
    );
    assert.match(bad, /^HTTP\/1\.1 400/);
    assert.doesNotMatch(bad, /SECRETPATH|FST_ERR|statusCode/);
    assert.match(bad, /"error":\{"code":"invalid_request","message":"[^"]+"/);
    assert.match(bad, /content-security-policy/i);
    const big = await raw(
      s,
      `GET /api/x HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    assert.match(big, /^HTTP\/1\.1 431/);
    assert.match(big, /"code":"headers_too_large"/);
    assert.doesNotMatch(big, /statusCode|Request Header Fields Too Large"/);
    const media = await s.request('/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body: '<a/>',
    });
    assert.equal(media.status, 415);
    assert.equal(((await media.json()) as { error: { code: string } }).error.code, 'unsupported_media_type');
  });

  test('a client x-request-id is logged as clientRequestId, never used as the request id', async () => {
    // Request lines are at debug.
    const s = await server({ config: { logLevel: 'debug' } });
    const res = await s.request('/healthz', { headers: { 'x-request-id': 'client-chosen-id' } });
    const id = res.headers.get('x-request-id') ?? '';
    assert.notEqual(id, 'client-chosen-id');
    assert.match(id, /^[0-9a-f-]{36}$/);
    const lines = s.logs.map((l) => JSON.parse(l) as { reqId?: string; clientRequestId?: string });
    assert.ok(lines.some((l) => l.reqId === id && l.clientRequestId === 'client-chosen-id'));
    assert.ok(!lines.some((l) => l.reqId === 'client-chosen-id'));
  });

  test("the CSP has no 'unsafe-inline' for style elements", async () => {
    const s = await server();
    const csp = (await s.request('/')).headers.get('content-security-policy') ?? '';
    assert.equal(csp, CONTENT_SECURITY_POLICY);
    const directives = new Map(csp.split(/;\s*/).map((d) => [d.split(' ')[0], d] as const));
    assert.doesNotMatch(directives.get('style-src') ?? '', /unsafe-inline/);
    assert.equal(directives.get('style-src-elem'), "style-src-elem 'self'");
  });
});

describe('clients that hang', () => {
  test('a 5 MB body reaches fetch and the openai client as 413, every time', async () => {
    const s = await server();
    const { cookie } = await s.signup();
    const created = await s.request('/api/keys', { method: 'POST', cookie, json: { name: 'edge' } });
    const { key } = (await created.json()) as { key: string };
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${s.baseUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'x', messages: [{ role: 'user', content: 'x'.repeat(5_000_000) }] }),
      });
      assert.equal(res.status, 413);
      assert.equal(((await res.json()) as { error: { type: string } }).error.type, 'invalid_request_error');
    }
    const client = new OpenAI({ apiKey: key, baseURL: `${s.baseUrl}/v1`, maxRetries: 0 });
    for (let i = 0; i < 4; i++) {
      await assert.rejects(
        client.chat.completions.create({
          model: 'x',
          messages: [{ role: 'user', content: 'x'.repeat(5_000_000) }],
        }),
        (err: unknown) => err instanceof OpenAI.APIError && err.status === 413,
      );
    }
  });
});
