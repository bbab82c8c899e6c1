import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CONTENT_SECURITY_POLICY } from '../src/server/security/headers.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../src/server/testing.ts';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`security baseline (${kind})`, () => {
    let s: TestServer;
    let cookie: string;
    before(async () => {
      s = await startTestServer({ store: kind });
      ({ cookie } = await s.signup('owner@example.com'));
    });
    after(() => s.close());

    test('security headers and request ids on success, error and 404 answers', async () => {
      for (const [path, status] of [
        ['/healthz', 200],
        ['/api/auth/me', 401],
        ['/api/nope', 404],
        ['/', 200],
      ] as const) {
        const res = await s.request(path);
        assert.equal(res.status, status, path);
        assert.equal(res.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
        assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
        assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
        assert.equal(res.headers.get('x-frame-options'), 'DENY');
        assert.equal(res.headers.get('cross-origin-opener-policy'), 'same-origin');
        assert.ok(res.headers.get('permissions-policy'));
        assert.equal(res.headers.get('strict-transport-security'), null);
        assert.ok(res.headers.get('x-request-id'));
      }
      const res = await s.request('/healthz', { headers: { 'x-request-id': 'abc-123' } });
      // The client's id is only logged beside ours (test/attack-edge.test.ts), never adopted.
      assert.notEqual(res.headers.get('x-request-id'), 'abc-123');
      const unknown = await s.request('/api/nope');
      assert.deepEqual(await unknown.json(), { error: { code: 'not_found', message: 'No such route.' } });
    });

    test('every state-changing route refuses a foreign, null or missing Origin when a cookie is sent', async () => {
      const routes = s.app.ponderRoutes.filter((r) => STATE_CHANGING.has(r.method));
      assert.ok(routes.length >= 8);
      for (const route of routes) {
        const path = route.url.replace(/:(\w+)/g, 'AAAAAAAAAAAAAAAAAAAAAA');
        for (const origin of ['https://evil.example', 'null', `${s.baseUrl}.evil.example`, undefined]) {
          const headers: Record<string, string> = { cookie };
          if (origin !== undefined) headers.origin = origin;
          const res = await fetch(`${s.baseUrl}${path}`, {
            method: route.method,
            headers: { ...headers, 'content-type': 'application/json' },
            body: '{}',
          });
          assert.equal(res.status, 403, `${route.method} ${route.url} origin=${origin}`);
          const body = (await res.json()) as { type?: string; error: { code?: string; type?: string } };
          if (route.url.startsWith('/v1/messages')) {
            // The Anthropic Messages API answers in Anthropic's error shape.
            assert.deepEqual([body.type, body.error.type], ['error', 'permission_error']);
          } else {
            assert.equal(body.error.code, 'forbidden_origin');
          }
        }
      }
      // The cookie still works from our own origin.
      assert.equal((await s.request('/api/auth/me', { cookie })).status, 200);
    });

    test('a foreign Origin cannot log in or sign up even without a cookie (login CSRF)', async () => {
      for (const path of ['/api/auth/login', '/api/auth/signup']) {
        const res = await fetch(`${s.baseUrl}${path}`, {
          method: 'POST',
          headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'owner@example.com', password: TEST_PASSWORD }),
        });
        assert.equal(res.status, 403);
      }
      // No Origin and no cookie (curl, CLI tools) is allowed.
      const res = await fetch(`${s.baseUrl}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'owner@example.com', password: TEST_PASSWORD }),
      });
      assert.equal(res.status, 200);
    });

    test('a 5 MB body answers 413 in the JSON error shape', async () => {
      const big = JSON.stringify({ email: 'x@example.com', password: 'p'.repeat(5 * 1024 * 1024) });
      const res = await s.request('/api/auth/login', {
        method: 'POST',
        body: big,
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(res.status, 413);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'payload_too_large');
    });

    test('wrong content types and malformed JSON answer 4xx cleanly', async () => {
      const cases: Array<[string, string, number]> = [
        ['application/xml', '<a/>', 415],
        ['text/plain', 'hello', 400],
        ['application/json', '{"email":', 400],
        ['application/json', '{"__proto__":{"isAdmin":true}}', 400],
        ['application/json', '[]', 400],
        ['application/json', 'null', 400],
      ];
      for (const [type, body, status] of cases) {
        const res = await s.request('/api/auth/login', {
          method: 'POST',
          body,
          headers: { 'content-type': type },
        });
        assert.equal(res.status, status, `${type} ${body}`);
        const json = (await res.json()) as { error: { code: string; message: string } };
        assert.ok(json.error.code);
        assert.doesNotMatch(JSON.stringify(json), /at .*\.(ts|js):\d+/);
      }
    });

    test('hostile values in every field answer 400 or are handled, never 500', async () => {
      const hostile: unknown[] = [
        null,
        42,
        true,
        [],
        {},
        '',
        "' OR 1=1; DROP TABLE users; --",
        '"; SELECT pg_sleep(5); --',
        'x'.repeat(10_000),
        '\u0000',
        'a\u0000b',
        '🤔💭 ﷽ \u202e\u200b',
        '\ud800',
        '../../etc/passwd',
        '<script>alert(1)</script>',
      ];
      const targets: Array<{ method: string; path: string; fields: string[] }> = [
        { method: 'POST', path: '/api/auth/signup', fields: ['email', 'password', 'inviteCode'] },
        { method: 'POST', path: '/api/auth/login', fields: ['email', 'password'] },
        { method: 'PATCH', path: '/api/auth/me', fields: ['displayName'] },
        { method: 'POST', path: '/api/auth/password', fields: ['currentPassword', 'newPassword'] },
        { method: 'POST', path: '/api/keys', fields: ['name'] },
        { method: 'DELETE', path: '/api/auth/account', fields: ['password'] },
      ];
      const base: Record<string, unknown> = {
        email: 'fuzz@example.com',
        password: 'not the password',
        currentPassword: 'not the password',
        newPassword: 'another fine passphrase',
        name: 'k',
        displayName: 'n',
      };
      for (const t of targets) {
        for (const field of t.fields) {
          for (const value of hostile) {
            const res = await s.request(t.path, {
              method: t.method,
              cookie,
              json: { ...base, [field]: value },
            });
            assert.ok(
              res.status < 500,
              `${t.method} ${t.path} ${field}=${JSON.stringify(value)?.slice(0, 40)} → ${res.status}`,
            );
            await res.arrayBuffer();
          }
        }
        const missing = await s.request(t.path, { method: t.method, cookie, json: {} });
        assert.ok(missing.status < 500);
        await missing.arrayBuffer();
        const extra = await s.request(t.path, {
          method: t.method,
          cookie,
          json: { ...base, isAdmin: true, zzz: 1 },
        });
        assert.equal(extra.status, 400, `${t.path} extra fields`);
        const err = (await extra.json()) as { error: { code: string; details?: { field?: string } } };
        assert.equal(err.error.code, 'invalid_request');
        assert.ok(err.error.details?.field);
      }
      const wrongType = await s.request('/api/auth/login', {
        method: 'POST',
        json: { email: 1, password: 'x' },
      });
      const body = (await wrongType.json()) as { error: { code: string; details: { field: string } } };
      assert.equal(wrongType.status, 400);
      assert.equal(body.error.details.field, 'email');
      // The owner is still fine and the server still answers.
      assert.equal((await s.request('/api/auth/me', { cookie })).status, 200);
      assert.equal((await s.request('/healthz')).status, 200);
    });

    test('50 wrong passwords throttle that account only; the right password is refused while throttled', async () => {
      const victim = 'victim@example.com';
      await s.signup(victim);
      await s.signup('bystander@example.com');
      let limited: Response | undefined;
      for (let i = 0; i < 50; i++) {
        const res = await s.request('/api/auth/login', {
          method: 'POST',
          json: { email: victim, password: `wrong guess ${i}` },
        });
        if (res.status === 429) {
          limited = res;
          break;
        }
        assert.equal(res.status, 401);
        await res.arrayBuffer();
      }
      assert.ok(limited, 'never throttled');
      const retryAfter = Number(limited.headers.get('retry-after'));
      assert.ok(retryAfter >= 1);
      const body = (await limited.json()) as { error: { code: string; retryAfterSeconds: number } };
      assert.equal(body.error.code, 'rate_limited');
      assert.equal(body.error.retryAfterSeconds, retryAfter);

      const right = await s.request('/api/auth/login', {
        method: 'POST',
        json: { email: victim, password: TEST_PASSWORD },
      });
      assert.equal(right.status, 429);
      const other = await s.request('/api/auth/login', {
        method: 'POST',
        json: { email: 'bystander@example.com', password: TEST_PASSWORD },
      });
      assert.equal(other.status, 200);
    });
  });
}

describe('HTTPS deployments', () => {
  test('HSTS and Secure cookies when secureCookies is set', async () => {
    const s = await startTestServer({ config: { secureCookies: true } });
    try {
      const res = await s.request('/api/auth/signup', {
        method: 'POST',
        json: { email: 'tls@example.com', password: TEST_PASSWORD, setupCode: s.setupCode },
        headers: { origin: s.baseUrl.replace('http:', 'https:') },
      });
      assert.equal(res.status, 201);
      assert.match(res.headers.getSetCookie().join(), /Secure/);
      assert.match(res.headers.get('strict-transport-security') ?? '', /max-age=\d+/);
    } finally {
      await s.close();
    }
  });
});

describe('sign-up flood', () => {
  test('when the hashing pool and its queue are full, sign-up answers 503 overloaded with Retry-After', async () => {
    const { PasswordHasher } = await import('../src/core/accounts/index.ts');
    const passwordHasher = new PasswordHasher({
      maxConcurrent: 1,
      maxQueue: 1,
      retryAfterSeconds: 2,
      // Hashes slow enough (~0.5–2 s) that the burst below always meets the pool still full.
      timeCost: 60,
    });
    const s = await startTestServer({
      deps: { passwordHasher },
      // Concurrent first sign-ups: only the hashing pool is under test here.
      setupCode: null,
    });
    try {
      // Fill the pool and its queue first, so the burst meets a full hasher however fast the
      // machine is (a burst alone raced the 20 ms hashes and sometimes found the pool free).
      const occupying = [passwordHasher.hash('occupies-the-pool'), passwordHasher.hash('occupies-the-queue')];
      const answers = await Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          s.request('/api/auth/signup', {
            method: 'POST',
            json: { email: `flood${i}@example.com`, password: TEST_PASSWORD },
          }),
        ),
      );
      const statuses = answers.map((r) => r.status);
      assert.deepEqual(statuses, [503, 503, 503, 503]);
      for (const r of answers) {
        assert.equal(r.headers.get('retry-after'), '2');
        assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'overloaded');
      }
      assert.equal((await s.request('/healthz')).status, 200);
      await Promise.all(occupying);
      const after = await s.request('/api/auth/signup', {
        method: 'POST',
        json: { email: 'after-the-flood@example.com', password: TEST_PASSWORD },
      });
      assert.equal(after.status, 201, 'once the pool drains, sign-up works again');
    } finally {
      await s.close();
    }
  });
});

describe('proof-of-work gate', () => {
  test('switches on under a sign-up flood: 428 with a challenge, a solved one is accepted once', async () => {
    const { PowGate, solvePow } = await import('../src/core/rate-limit/index.ts');
    const gate = new PowGate({ secret: 'a test secret of 32 bytes.......', onRate: 3, difficultyBits: 6 });
    const s = await startTestServer({ deps: { powGate: gate } });
    try {
      let pow = (await (await s.request('/api/auth/pow')).json()) as { required: boolean };
      assert.equal(pow.required, false);
      for (let i = 0; i < 2; i++) await s.signup(`early${i}@example.com`);
      const signup = (email: string, proof?: { challenge: string; nonce: string }) =>
        s.request('/api/auth/signup', {
          method: 'POST',
          json: { email, password: TEST_PASSWORD, ...(proof ? { pow: proof } : {}) },
        });
      let res = await signup('flood@example.com');
      assert.equal(res.status, 428);
      const body = (await res.json()) as {
        error: { code: string; details: { challenge: string; difficulty: number } };
      };
      assert.equal(body.error.code, 'pow_required');
      const { challenge, difficulty } = body.error.details;
      assert.equal(difficulty, 6);
      pow = (await (await s.request('/api/auth/pow')).json()) as { required: boolean };
      assert.equal(pow.required, true);

      const nonce = solvePow(challenge, difficulty);
      res = await signup('flood@example.com', { challenge, nonce });
      assert.equal(res.status, 201);
      res = await signup('flood2@example.com', { challenge, nonce });
      assert.equal(res.status, 428, 'a solution is used once');
      res = await signup('flood3@example.com', { challenge: 'v1.junk', nonce: 'x' });
      assert.equal(res.status, 428);
      await res.arrayBuffer();
    } finally {
      await s.close();
    }
  });
});
