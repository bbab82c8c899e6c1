import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { configSchema } from '../src/config/schema.ts';
import { ShutdownHooks } from '../src/server/shutdown.ts';
import { startServer } from '../src/server/start.ts';
import { openStore } from '../src/store/index.ts';

test('startServer: marks crashed generations interrupted, reports the missing model, shuts down gracefully', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'ponder-start-'));
  const masterKey = 'c'.repeat(64);
  try {
    let ids: { userId: string; generationId: string };
    {
      await using store = await openStore({ dataDir, masterKey });
      const user = await store.users.create({ email: 'crash@example.com', passwordHash: 'x', plan: 'free' });
      const conv = await store.conversations.create({ userId: user.id });
      const msg = await store.messages.create({
        conversationId: conv.id,
        userId: user.id,
        role: 'user',
        content: 'q',
      });
      const { generation } = await store.generations.start({
        userId: user.id,
        conversationId: conv.id,
        parentId: msg.id,
        model: 'm',
      });
      ids = { userId: user.id, generationId: generation.id };
    }

    const config = configSchema.parse({ dataDir, masterKey, port: 0, logLevel: 'silent' });
    const hooks = new ShutdownHooks();
    const seen: number[] = [];
    hooks.add('test', async ({ graceMs, deadline }) => {
      seen.push(graceMs);
      await new Promise((resolve) => deadline.addEventListener('abort', resolve, { once: true }));
    });
    const server = await startServer(config, {
      autoPull: false,
      shutdownGraceMs: 100,
      deps: { shutdownHooks: hooks },
    });
    const generation = await server.store.generations.get(ids.generationId, ids.userId);
    assert.equal(generation?.status, 'interrupted');

    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 503);
    const body = (await ready.json()) as { model: { state: string; detail: string } };
    assert.equal(body.model.state, 'missing');
    assert.match(body.model.detail, /PONDER_UPSTREAMS/);
    assert.equal(server.modelStatus().state, 'missing');

    await Promise.all([server.shutdown('test'), server.shutdown('twice')]);
    assert.deepEqual(seen, [100]);
    await assert.rejects(fetch(`${server.url}/healthz`));
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
