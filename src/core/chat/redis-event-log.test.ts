/** Against the real Redis at PONDER_TEST_REDIS_URL, under a random key prefix removed afterwards. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import type { GenerationEvent, MetaEventData } from '../../api/conversations.ts';
import { RedisGenerationEventLog } from './redis-event-log.ts';

const url = process.env.PONDER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `ponder-test:${randomUUID()}:`;
const connect = () =>
  new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy: () => null });
let r1: Redis;
let r2: Redis;

before(async () => {
  r1 = connect();
  r2 = connect();
  await Promise.all([r1.ping(), r2.ping()]);
});

after(async () => {
  const keys = await r1.keys(`${prefix}*`);
  if (keys.length > 0) await r1.del(...keys);
  await Promise.all([r1.quit(), r2.quit()]);
});

const meta = (generationId: string): MetaEventData => ({
  generationId,
  conversationId: 'c1',
  userMessageId: 'u1',
  assistantMessageId: 'a1',
  model: 'm',
});

async function take(iterable: AsyncIterable<GenerationEvent>, n: number): Promise<GenerationEvent[]> {
  const out: GenerationEvent[] = [];
  if (n === 0) return out;
  for await (const event of iterable) {
    out.push(event);
    if (out.length >= n) break;
  }
  return out;
}

describe('RedisGenerationEventLog', () => {
  test('another instance replays after an id, follows live events and ends at done', async () => {
    await using runner = new RedisGenerationEventLog({ redis: r1, keyPrefix: prefix });
    await using other = new RedisGenerationEventLog({ redis: r2, keyPrefix: prefix, blockMs: 200 });
    const g = `g-${randomUUID()}`;
    const signal = new AbortController().signal;
    assert.equal(await other.read(g, 0, signal), null, 'unknown generation');

    await runner.open(g, meta(g));
    assert.equal(await runner.append(g, { type: 'reasoning', data: { text: 'a' } }), 2);
    assert.equal(await runner.append(g, { type: 'text', data: { text: 'b' } }), 3);

    const fromStart = await other.read(g, 0, signal);
    assert.ok(fromStart);
    const firstThree = await take(fromStart, 3);
    assert.deepEqual(
      firstThree.map((e) => [e.id, e.type]),
      [
        [1, 'meta'],
        [2, 'reasoning'],
        [3, 'text'],
      ],
    );

    // A reader after id 2 continues exactly, then follows what arrives live.
    const follower = await other.read(g, 2, signal);
    assert.ok(follower);
    const collected = (async () => {
      const out: GenerationEvent[] = [];
      for await (const e of follower) out.push(e);
      return out;
    })();
    await runner.append(g, { type: 'text', data: { text: 'c' } });
    await runner.append(g, { type: 'done', data: { finishReason: 'stop' } });
    assert.equal(await runner.append(g, { type: 'text', data: { text: 'late' } }), 0);
    const rest = await collected;
    assert.deepEqual(
      rest.map((e) => [e.id, e.type]),
      [
        [3, 'text'],
        [4, 'text'],
        [5, 'done'],
      ],
    );
    assert.deepEqual(rest[1]?.data, { text: 'c' });

    // An id never given out starts over with meta.
    const bogus = await other.read(g, 99, signal);
    assert.ok(bogus);
    assert.equal((await take(bogus, 1))[0]?.type, 'meta');

    // The finished stream expires (retention TTL set).
    const ttl = await r1.pttl(`${prefix}gen:${g}`);
    assert.ok(ttl > 0 && ttl <= 120_000);
  });

  test('the runner serves its own readers locally; aborting a remote reader ends it', async () => {
    await using runner = new RedisGenerationEventLog({ redis: r1, keyPrefix: prefix });
    await using other = new RedisGenerationEventLog({ redis: r2, keyPrefix: prefix, blockMs: 60_000 });
    const g = `g-${randomUUID()}`;
    await runner.open(g, meta(g));
    const local = await runner.read(g, 0, new AbortController().signal);
    assert.ok(local);
    assert.equal((await take(local, 1))[0]?.type, 'meta');

    const controller = new AbortController();
    const remote = await other.read(g, 1, controller.signal);
    assert.ok(remote);
    const reading = (async () => {
      const out: GenerationEvent[] = [];
      for await (const e of remote) out.push(e);
      return out;
    })();
    setTimeout(() => controller.abort(), 100);
    // The blocking read (60 s) is cut by the abort.
    assert.deepEqual(await reading, []);
    await runner.append(g, { type: 'done', data: { finishReason: 'cancelled' } });
  });
});
