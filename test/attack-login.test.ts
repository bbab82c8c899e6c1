/** Login brute force over HTTP: parallel bursts, a stranger's lockout of the owner, a distributed guesser. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { solvePow } from '../src/core/rate-limit/pow.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../src/server/testing.ts';

function deviceCookieOf(res: Response): string {
  for (const line of res.headers.getSetCookie()) {
    const match = /^(ponder_device=[^;]+)/.exec(line);
    if (match?.[1]) return match[1];
  }
  throw new Error('no device cookie in the response');
}

async function errorOf(res: Response) {
  return (
    (await res.json()) as { error: { code: string; message: string; details?: Record<string, unknown> } }
  ).error;
}

describe('login brute force', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());
  const login = (email: string, password: string, extra: { cookie?: string; pow?: unknown } = {}) =>
    s.request('/api/auth/login', {
      method: 'POST',
      json: { email, password, ...(extra.pow ? { pow: extra.pow } : {}) },
      ...(extra.cookie ? { cookie: extra.cookie } : {}),
    });

  test('30 parallel logins for one email get at most the limit of password checks', async () => {
    await s.signup('burst@example.com');
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        login('burst@example.com', i === 29 ? TEST_PASSWORD : `wrong guess ${i}`).then((r) => r.status),
      ),
    );
    const checked = answers.filter((code) => code !== 429);
    assert.ok(checked.length <= 10, answers.join());
    assert.ok(answers.filter((c) => c === 429).length >= 20, answers.join());
  });

  test("after a stranger's failures the owner logs in on a known device", async () => {
    await s.signup('owner@example.com');
    const first = await login('owner@example.com', TEST_PASSWORD);
    assert.equal(first.status, 200);
    const setCookie = first.headers.getSetCookie().find((c) => c.startsWith('ponder_device='));
    assert.ok(setCookie);
    assert.match(setCookie, /HttpOnly/i);
    assert.match(setCookie, /SameSite=Lax/i);
    assert.match(setCookie, /Path=\/api\/auth/);
    assert.match(setCookie, /Max-Age=\d{7,}/);
    const device = deviceCookieOf(first);

    for (let i = 0; i < 12; i++) {
      const res = await login('owner@example.com', `stranger guess ${i}`);
      assert.ok(res.status === 401 || res.status === 429, String(res.status));
      await res.arrayBuffer();
    }
    const unknownBrowser = await login('owner@example.com', TEST_PASSWORD);
    assert.equal(unknownBrowser.status, 429);
    assert.equal((await errorOf(unknownBrowser)).code, 'rate_limited');

    const known = await login('owner@example.com', TEST_PASSWORD, { cookie: device });
    assert.equal(known.status, 200);
    assert.notEqual(deviceCookieOf(known), device, 'a fresh device cookie at each login');
  });
});

describe('per-account ceiling', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({
      deps: {
        throttle: {
          signupPerIp: { limit: 10_000, windowMs: 60_000 },
          loginAccountCeiling: { limit: 3, windowMs: 60_000 },
        },
      },
    });
  });
  after(() => s.close());

  test('beyond it a login needs a proof of work (428), not a flat lockout', async () => {
    await s.signup('target@example.com');
    for (let i = 0; i < 3; i++) {
      const res = await s.request('/api/auth/login', {
        method: 'POST',
        json: { email: 'target@example.com', password: `guess ${i}` },
      });
      assert.equal(res.status, 401);
      await res.arrayBuffer();
    }
    const asked = await s.request('/api/auth/login', {
      method: 'POST',
      json: { email: 'target@example.com', password: TEST_PASSWORD },
    });
    assert.equal(asked.status, 428);
    const error = await errorOf(asked);
    assert.equal(error.code, 'pow_required');
    const { challenge, difficulty } = error.details as { challenge: string; difficulty: number };
    assert.equal(typeof challenge, 'string');
    const pow = { challenge, nonce: solvePow(challenge, difficulty) };
    const ok = await s.request('/api/auth/login', {
      method: 'POST',
      json: { email: 'target@example.com', password: TEST_PASSWORD, pow },
    });
    assert.equal(ok.status, 200);
    const replay = await s.request('/api/auth/login', {
      method: 'POST',
      json: { email: 'target@example.com', password: TEST_PASSWORD, pow },
    });
    assert.equal(replay.status, 428);
    assert.match((await errorOf(replay)).message, /replayed/);
  });
});
