/**
 * The route walker (design §6): every registered `/api` and `/v1` route, collected by the app's
 * `onRoute` hook, is called as anonymous, as another user (with the first user's ids in every
 * parameter) and as an admin. Routes added later are walked without changing this file.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RegisteredRoute } from '../src/server/app.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const RANDOM_ID = 'Zz9Zz9Zz9Zz9Zz9Zz9Zz9A';

function isWalked(route: RegisteredRoute): boolean {
  return /^\/(api|v1)(\/|$)/.test(route.url);
}

/** Fills each `:param` with the owner's id for the resource named just before it. */
function fill(url: string, ids: Record<string, string>): string {
  return url.replace(/([^/]+)\/:(\w+)/g, (_m, resource: string, param: string) => {
    const id = ids[param] ?? ids[resource] ?? RANDOM_ID;
    return `${resource}/${encodeURIComponent(id)}`;
  });
}

async function call(s: TestServer, route: RegisteredRoute, path: string, cookie?: string): Promise<number> {
  const init: Parameters<TestServer['request']>[1] = {
    method: route.method,
    signal: AbortSignal.timeout(5000),
    ...(cookie ? { cookie } : {}),
    ...(BODY_METHODS.has(route.method) ? { json: {} } : {}),
  };
  try {
    const res = await s.request(path, init);
    // Streams (SSE) may stay open for an owner; the status is all we need.
    await res.body?.cancel();
    return res.status;
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') return 0;
    throw err;
  }
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`route walker (${kind})`, () => {
    let s: TestServer;
    let routes: RegisteredRoute[];
    let owner: { cookie: string; user: { id: string } };
    let other: { cookie: string; user: { id: string } };
    const ownerIds: Record<string, string> = {};

    before(async () => {
      s = await startTestServer({ store: kind });
      owner = await s.signup('owner@example.com'); // first user: admin
      other = await s.signup('other@example.com');
      const conv = await s.store.conversations.create({ userId: owner.user.id, title: 'owner title' });
      const msg = await s.store.messages.create({
        conversationId: conv.id,
        userId: owner.user.id,
        role: 'user',
        content: 'owner question',
      });
      const gen = await s.store.generations.start({
        userId: owner.user.id,
        conversationId: conv.id,
        parentId: msg.id,
        model: 'tiny',
      });
      await s.store.generations.finish(gen.generation.id, owner.user.id, 'done');
      const key = (await (
        await s.request('/api/keys', { method: 'POST', cookie: owner.cookie, json: { name: 'owner key' } })
      ).json()) as { id: string };
      const [session] = await s.store.sessions.list(owner.user.id);
      Object.assign(ownerIds, {
        conversations: conv.id,
        messages: msg.id,
        messageId: gen.message.id,
        generations: gen.generation.id,
        keys: key.id,
        sessions: session?.id ?? RANDOM_ID,
        users: owner.user.id,
        models: 'tiny',
        // The arena (issue 15): the owner's battle, walked with each side.
        battles: (
          await s.store.arena.create({
            userId: owner.user.id,
            prompt: 'owner arena',
            modelA: 'x',
            modelB: 'y',
          })
        ).id,
        sides: 'a',
      });
      // Documents (issue 13): the owner's file (in the conversation), its first chunk, and a collection.
      const ownerFile = await s.store.documents.createFile({
        userId: owner.user.id,
        name: 'owner.txt',
        kind: 'text',
        mediaType: 'text/plain',
        content: Buffer.from('owner document'),
        text: 'owner document',
        tokens: 3,
        chunks: [{ text: 'owner document', tokens: 3 }],
        conversationId: conv.id,
      });
      const ownerChunks = await s.store.documents.chunks(ownerFile.id, owner.user.id);
      Object.assign(ownerIds, {
        files: ownerFile.id,
        chunks: ownerChunks?.[0]?.id ?? RANDOM_ID,
        collections: (await s.store.documents.createCollection({ userId: owner.user.id, name: 'owner col' }))
          .id,
      });
      routes = s.app.ponderRoutes.filter(isWalked);
    });
    after(() => s.close());

    test('the walker sees the account, key and admin routes', () => {
      const urls = routes.map((r) => `${r.method} ${r.url}`);
      for (const expected of [
        'GET /api/auth/me',
        'DELETE /api/keys/:id',
        'PATCH /api/admin/users/:id',
        'GET /api/chunks/:id', // documents (issue 13)
      ]) {
        assert.ok(urls.includes(expected), expected);
      }
    });

    test('anonymous: 401 on every protected route, never 5xx on public ones', async () => {
      for (const route of routes) {
        const status = await call(s, route, fill(route.url, ownerIds));
        if (route.public) assert.ok(status < 500, `${route.method} ${route.url} → ${status}`);
        else assert.equal(status, 401, `${route.method} ${route.url}`);
      }
    });

    test("another user: 404 for the owner's ids, 404 on admin routes, and the owner's data survives", async () => {
      // Logging out would end the walker's own session; it is covered in server-auth.
      for (const route of routes.filter((r) => r.url !== '/api/auth/logout')) {
        const status = await call(s, route, fill(route.url, ownerIds), other.cookie);
        const label = `${route.method} ${route.url} → ${status}`;
        assert.ok(status !== 0 && status < 500, label);
        if (route.admin) assert.equal(status, 404, label);
        // A model id is nobody's, and /v1 takes API keys, not sessions: refused before any id is looked at.
        else if (route.url.startsWith('/v1/')) assert.equal(status, 401, label);
        else if (route.url.includes('/:')) {
          if (BODY_METHODS.has(route.method) && route.method !== 'DELETE')
            assert.ok([400, 404].includes(status), label);
          else assert.equal(status, 404, label);
        }
      }
      assert.equal((await s.request('/api/auth/me', { cookie: other.cookie })).status, 200);
      assert.ok(await s.store.conversations.get(ownerIds.conversations as string, owner.user.id));
      assert.equal((await s.store.apiKeys.list(owner.user.id)).length, 1);
      assert.equal((await s.store.sessions.list(owner.user.id)).length, 1);
      assert.equal((await s.store.users.byId(owner.user.id))?.isAdmin, true);
    });

    test('admin: admin routes answer, nothing fails with 5xx', async () => {
      // Its own session id would log the walker out half-way.
      const ids = { ...ownerIds, sessions: RANDOM_ID };
      for (const route of routes.filter((r) => r.url !== '/api/auth/logout')) {
        const status = await call(s, route, fill(route.url, ids), owner.cookie);
        const label = `${route.method} ${route.url} → ${status}`;
        assert.ok(status < 500, label);
        if (route.admin && !route.url.includes('/:')) assert.ok(status !== 401 && status !== 404, label);
      }
      // The last admin cannot delete or demote themselves through the walk.
      assert.equal((await s.store.users.byId(owner.user.id))?.isAdmin, true);
    });
  });
}
