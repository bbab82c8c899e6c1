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

test('startServer with redisUrl keeps login throttles in Redis and quits it on shutdown', async () => {
  const { Redis } = await import('ioredis');
  const { randomUUID } = await import('node:crypto');
  const redisUrl = process.env.PONDER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `ponder-test:${randomUUID()}:`;
  const dataDir = await mkdtemp(join(tmpdir(), 'ponder-start-redis-'));
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    const config = configSchema.parse({
      dataDir,
      masterKey: 'd'.repeat(64),
      port: 0,
      logLevel: 'silent',
      redisUrl,
    });
    const server = await startServer(config, {
      autoPull: false,
      shutdownGraceMs: 10,
      redisKeyPrefix: prefix,
    });
    try {
      const res = await fetch(`${server.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'nobody@example.com', password: 'wrong password' }),
      });
      assert.equal(res.status, 401);
      const keys = await redis.keys(`${prefix}*`);
      assert.ok(
        keys.some((k) => k.includes('login:acct:')),
        keys.join(),
      );
      assert.ok(
        keys.some((k) => k.includes('login:ip:')),
        keys.join(),
      );
    } finally {
      await server.shutdown();
    }
  } finally {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    await rm(dataDir, { recursive: true, force: true });
  }
});
