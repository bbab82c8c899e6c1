/**
 * Log canaries (design §6): secrets and user text planted through every path we own must never show
 * up in the server's log output. Extend `canaries` and the requests for new features.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { sessionCookieOf, startTestServer } from '../src/server/testing.ts';

describe('log canaries', () => {
  test('passwords, API keys, session tokens, emails, titles and messages never reach the logs', async () => {
    const tag = randomBytes(6).toString('hex');
    const password = `CanaryPassword${tag}`;
    const email = `canary${tag}@example.com`;
    const title = `CanaryTitle${tag}`;
    const content = `CanaryMessage${tag}`;
    const s = await startTestServer({ config: { logLevel: 'trace' } });
    try {
      let res = await s.request('/api/auth/signup', {
        method: 'POST',
        json: { email, password, setupCode: s.setupCode },
      });
      assert.equal(res.status, 201);
      const cookie = sessionCookieOf(res);
      const token = cookie.split('=')[1] as string;
      const me = (await (await s.request('/api/auth/me', { cookie })).json()) as { user: { id: string } };

      await s.request('/api/auth/login', { method: 'POST', json: { email, password: `${password}x` } });
      res = await s.request('/api/auth/login', { method: 'POST', json: { email, password } });
      assert.equal(res.status, 200);
      res = await s.request('/api/keys', { method: 'POST', cookie, json: { name: `CanaryKeyName${tag}` } });
      const { key } = (await res.json()) as { key: string };

      const conv = await s.store.conversations.create({ userId: me.user.id, title });
      await s.store.messages.create({ conversationId: conv.id, userId: me.user.id, role: 'user', content });
      await s.request(`/api/conversations/${conv.id}`, { cookie });
      await s.request(`/api/conversations/search?q=${content}`, { cookie });
      await s.request(`/v1/models?token=${token}`, { headers: { authorization: `Bearer ${key}` } });
      await s.request('/v1/models', { headers: { 'x-api-key': key } });
      await s.request('/api/auth/password', {
        method: 'POST',
        cookie,
        json: { currentPassword: password, newPassword: `${password}New` },
      });
      await s.request('/api/auth/account', { method: 'DELETE', cookie, json: { password: 'wrong' } });
      // Junk that ends in errors must not echo values either.
      await s.request('/api/auth/login', {
        method: 'POST',
        body: `{"email":"${email}","password":`,
        headers: { 'content-type': 'application/json' },
      });

      const logs = s.logs.join('\n');
      assert.ok(s.logs.length > 10, 'the app logged its requests');
      for (const [what, secret] of Object.entries({
        password,
        email,
        title,
        content,
        token,
        key,
        keyBody: key.slice(9),
        keyName: `CanaryKeyName${tag}`,
      })) {
        assert.ok(!logs.includes(secret), `${what} found in the logs`);
      }
      assert.ok(!logs.includes(tag), 'no canary tag at all in the logs');

      // The audit log records the events, never the secrets.
      const auditRows = await s.store.audit.list({ limit: 100 });
      const events = new Set(auditRows.map((r) => r.event));
      for (const e of ['signup', 'login', 'login_failed', 'api_key_created', 'password_changed']) {
        assert.ok(events.has(e), `audit event ${e}`);
      }
      const auditText = JSON.stringify(auditRows);
      assert.ok(!auditText.includes(tag), 'no canary in the audit log');
      assert.ok(!auditText.includes(token.slice(0, 12)));
    } finally {
      await s.close();
    }
  });
});
