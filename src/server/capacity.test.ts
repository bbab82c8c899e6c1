/** `createServerCapacity` and start-up orphan marking, on a real SQLite store and the real Redis. */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { skipWithoutRedis, testRedis, TEST_REDIS_URL as url } from '../adapters/redis/test-redis.ts';
import { configSchema } from '../config/schema.ts';
import { openStore } from '../store/index.ts';
import type { Store } from '../store/types.ts';
import { createServerCapacity, interruptOrphans, powSecretFor } from './capacity.ts';

let dir: string;
let store: Store;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ponder-capacity-'));
  store = await openStore({ dataDir: dir, masterKey: 'c'.repeat(64) });
});

after(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const redisTest = { skip: skipWithoutRedis };

test(
  'start-up marks only generations whose runner is gone (no live stream in Redis)',
  redisTest,
  async () => {
    await using r = await testRedis();
    const { r1: redis, keyPrefix: prefix } = r;
    const user = await store.users.create({ email: 'orphans@example.com', passwordHash: 'x', plan: 'free' });
    const conv = await store.conversations.create({ userId: user.id });
    const live = await store.generations.start({
      userId: user.id,
      conversationId: conv.id,
      parentId: null,
      model: 'm',
    });
    const gone = await store.generations.start({
      userId: user.id,
      conversationId: conv.id,
      parentId: null,
      model: 'm',
    });
    await redis.xadd(`${prefix}gen:${live.generation.id}`, '0-1', 'e', '{}');

    assert.equal(await interruptOrphans(store, redis, prefix), 1);
    assert.equal((await store.generations.get(live.generation.id, user.id))?.status, 'running');
    assert.equal((await store.generations.get(gone.generation.id, user.id))?.status, 'interrupted');
    assert.equal((await store.messages.get(gone.message.id, user.id))?.status, 'interrupted');
    await store.generations.finish(live.generation.id, user.id, 'done');
  },
);

test('the PoW secret is the same for the same master key, different otherwise', () => {
  const a = powSecretFor({ masterKey: 'd'.repeat(64), dataDir: dir });
  const b = powSecretFor({ masterKey: 'd'.repeat(64), dataDir: '/elsewhere' });
  const c = powSecretFor({ masterKey: 'e'.repeat(64), dataDir: dir });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.equal(a.length, 32);
});

test(
  'with redisUrl, capacity state and generation streams go to Redis under the prefix',
  redisTest,
  async () => {
    await using r = await testRedis();
    const { r1: redis, keyPrefix: prefix } = r;
    const config = configSchema.parse({ dataDir: dir, redisUrl: url, engine: { slots: 3 } });
    await using sc = await createServerCapacity({ config, store, keyPrefix: prefix });
    assert.ok(sc.redis);
    assert.ok(sc.eventLog);
    assert.equal(sc.capacity.admission.stats().capacity, 3);
    assert.equal(sc.deps.powGate, sc.capacity.pow);
    await sc.eventLog.open('g-redis', {
      generationId: 'g-redis',
      conversationId: 'c',
      userMessageId: 'u',
      assistantMessageId: 'a',
      model: 'm',
    });
    assert.equal(await redis.exists(`${prefix}gen:g-redis`), 1);
    const ticket = await sc.capacity.admission.admit({
      userId: 'u1',
      plan: { maxConcurrency: 1, priority: 1 },
    });
    assert.ok((await r.keys()).length >= 2);
    ticket.release();
  },
);

test('the stop bus carries a stop from one instance to the others', redisTest, async () => {
  await using r = await testRedis();
  const prefix = r.keyPrefix;
  const config = configSchema.parse({ dataDir: dir, redisUrl: url });
  await using one = await createServerCapacity({ config, store, keyPrefix: prefix });
  await using two = await createServerCapacity({ config, store, keyPrefix: prefix });
  assert.ok(one.generationStop && two.generationStop);
  const got = new Promise<[string, string]>((resolve) =>
    two.generationStop?.subscribe((generationId, userId) => resolve([generationId, userId])),
  );
  // The subscription is asynchronous: publish until it is heard.
  let heard: [string, string] | undefined;
  void got.then((v) => {
    heard = v;
  });
  for (let i = 0; i < 50 && !heard; i++) {
    await one.generationStop.publish('gen-1', 'user-1');
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.deepEqual(await got, ['gen-1', 'user-1']);
});
