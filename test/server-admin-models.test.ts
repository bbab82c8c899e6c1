/** Admin models (list, pull, remove) and upstream members over HTTP. */
import assert from 'node:assert/strict';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureTestModel } from '../src/inference/gguf/test-model.ts';
import { createUpstreamPool } from '../src/inference/upstream/pool.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';

describe('admin: models and upstreams', () => {
  let server: TestServer;
  let admin: string;
  let user: string;
  const secret = 'sk-upstream-canary-0123456789';

  before(async () => {
    const pool = createUpstreamPool(
      [
        {
          id: 'far',
          baseUrl: 'http://127.0.0.1:9/v1',
          apiKey: secret,
          models: ['remote-r1'],
          reasoningFormat: 'auto',
        },
      ],
      { healthCheckIntervalMs: 0 },
    );
    server = await startTestServer({ deps: { providers: [pool], upstreamPools: [pool] } });
    await mkdir(join(server.config.dataDir, 'models'), { recursive: true });
    await copyFile(await ensureTestModel('tiny'), join(server.config.dataDir, 'models', 'mini.gguf'));
    admin = (await server.signup()).cookie;
    user = (await server.signup()).cookie;
  });
  after(async () => {
    await server?.close();
  });

  test('lists GGUF files with size, quant and state', async () => {
    const res = await server.request('/api/admin/models', { cookie: admin });
    assert.equal(res.status, 200);
    const { models } = (await res.json()) as {
      models: Array<{ id: string; sizeBytes?: number; quant?: string }>;
    };
    const mini = models.find((m) => m.id === 'mini');
    assert.ok(mini && (mini.sizeBytes ?? 0) > 1_000_000, JSON.stringify(models));
    assert.equal(mini.quant, 'Q8_0');
    assert.ok(models.some((m) => m.id === 'remote-r1'));
  });

  test('a pull runs in the background and reports its failure', async () => {
    const res = await server.request('/api/admin/models/pull', {
      method: 'POST',
      cookie: admin,
      // A name that does not resolve passes the address check and fails in the background.
      json: { source: 'https://nothing-here.invalid/nothing-here.gguf' },
    });
    assert.equal(res.status, 202);
    const { pullId } = (await res.json()) as { pullId: string };
    assert.ok(pullId);
    let entry: { state: string; detail?: string } | undefined;
    for (let i = 0; i < 100; i++) {
      const list = (await (await server.request('/api/admin/models', { cookie: admin })).json()) as {
        models: Array<{ id: string; state: string; detail?: string; pullId?: string }>;
      };
      entry = list.models.find((m) => m.pullId === pullId);
      if (entry?.state === 'unavailable') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(entry?.state, 'unavailable');
    assert.ok(entry?.detail);
  });

  test('local paths and junk are refused', async () => {
    for (const source of ['/etc/passwd', '../../secret.gguf', 'x']) {
      const res = await server.request('/api/admin/models/pull', {
        method: 'POST',
        cookie: admin,
        json: { source },
      });
      assert.equal(res.status, 400, source);
    }
  });

  test('remove deletes the file; removing again is 404', async () => {
    const del = await server.request('/api/admin/models/mini', { method: 'DELETE', cookie: admin });
    assert.equal(del.status, 204);
    const again = await server.request('/api/admin/models/mini', { method: 'DELETE', cookie: admin });
    assert.equal(again.status, 404);
    const traversal = await server.request('/api/admin/models/..%2F..%2Fponder.db', {
      method: 'DELETE',
      cookie: admin,
    });
    assert.equal(traversal.status, 404);
  });

  test('a model served by an upstream is not removable: 409 naming the upstream, nothing changes', async () => {
    const res = await server.request('/api/admin/models/remote-r1', { method: 'DELETE', cookie: admin });
    assert.equal(res.status, 409);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(error.code, 'not_removable');
    assert.match(error.message, /upstream/);
    const list = (await (await server.request('/api/admin/models', { cookie: admin })).json()) as {
      models: Array<{ id: string }>;
    };
    assert.ok(list.models.some((m) => m.id === 'remote-r1'));
  });

  test('a failed or running pull is listed under the source typed and can be dismissed', async () => {
    const source = 'hf:nobody/nothing-GGUF:Q4_K_M';
    const res = await server.request('/api/admin/models/pull', {
      method: 'POST',
      cookie: admin,
      json: { source },
    });
    assert.equal(res.status, 202);
    const { pullId, name } = (await res.json()) as { pullId: string; name: string };
    assert.equal(name, 'nothing-Q4_K_M', 'the name the file would get, not the quant alone');
    const listed = async () =>
      (
        (await (await server.request('/api/admin/models', { cookie: admin })).json()) as {
          models: Array<{ id: string; pullId?: string; source?: string }>;
        }
      ).models.find((m) => m.pullId === pullId);
    assert.equal((await listed())?.source, source);
    const dismiss = await server.request(`/api/admin/models/pulls/${pullId}`, {
      method: 'DELETE',
      cookie: admin,
    });
    assert.equal(dismiss.status, 204);
    assert.equal(await listed(), undefined);
    const again = await server.request(`/api/admin/models/pulls/${pullId}`, {
      method: 'DELETE',
      cookie: admin,
    });
    assert.equal(again.status, 404);
  });

  test('upstream members are listed without their key', async () => {
    const res = await server.request('/api/admin/upstreams', { cookie: admin });
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.ok(!text.includes(secret));
    const { upstreams } = JSON.parse(text) as { upstreams: Array<{ id: string; models: string[] }> };
    assert.deepEqual(
      upstreams.map((u) => u.id),
      ['far'],
    );
  });

  test('non-admins get 404 on every admin model route', async () => {
    for (const [method, path] of [
      ['GET', '/api/admin/models'],
      ['POST', '/api/admin/models/pull'],
      ['DELETE', '/api/admin/models/x'],
      ['DELETE', '/api/admin/models/pulls/00000000-0000-4000-8000-000000000000'],
      ['GET', '/api/admin/upstreams'],
    ] as const) {
      const res = await server.request(path, {
        method,
        cookie: user,
        ...(method === 'POST' ? { json: { source: 'hf:a/b:Q4' } } : {}),
      });
      assert.equal(res.status, 404, `${method} ${path}`);
    }
  });
});

describe('admin: removing the model given with --model', () => {
  let server: TestServer;
  let admin: string;
  before(async () => {
    server = await startTestServer({ withModel: true });
    admin = (await server.signup()).cookie;
  });
  after(async () => {
    await server?.close();
  });

  test('is refused with 409 not_removable and the model stays loaded', async () => {
    const engine = server.provider!;
    // Load it with one short generation, so an unload would show.
    for await (const chunk of engine.chat(
      { model: 'tiny', messages: [{ role: 'user', content: 'hi' }], maxTokens: 2 },
      { signal: AbortSignal.timeout(60_000) },
    )) {
      if (chunk.type === 'done') break;
    }
    const loadedDetail = async () => (await engine.models()).find((m) => m.id === 'tiny')?.detail;
    const before = await loadedDetail();
    const res = await server.request('/api/admin/models/tiny', { method: 'DELETE', cookie: admin });
    assert.equal(res.status, 409);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(error.code, 'not_removable');
    assert.match(error.message, /--model/);
    assert.equal(await loadedDetail(), before, 'not unloaded');
    const unknown = await server.request('/api/admin/models/nothing-like-it', {
      method: 'DELETE',
      cookie: admin,
    });
    assert.equal(unknown.status, 404);
    assert.match(((await unknown.json()) as { error: { message: string } }).error.message, /nothing-like-it/);
  });
});
