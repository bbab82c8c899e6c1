/** The Redis event log against the shared contract suite, plus what only it has (stream TTL, local readers). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { GenerationEvent } from '../../api/conversations.ts';
import { eventLogContract, metaOf } from '../../core/chat/event-log-contract.ts';
import { RedisGenerationEventLog } from './event-log.ts';
import { skipWithoutRedis, testRedis } from './test-redis.ts';

async function take(iterable: AsyncIterable<GenerationEvent>, n: number): Promise<GenerationEvent[]> {
  const out: GenerationEvent[] = [];
  for await (const event of iterable) {
    out.push(event);
    if (out.length >= n) break;
  }
  return out;
}

describe('RedisGenerationEventLog', { skip: skipWithoutRedis }, () => {
  // The runner and another instance, on two connections.
  eventLogContract('redis', async () => {
    const r = await testRedis();
    const a = new RedisGenerationEventLog({ redis: r.r1, keyPrefix: r.keyPrefix });
    const b = new RedisGenerationEventLog({ redis: r.r2, keyPrefix: r.keyPrefix, blockMs: 200 });
    return {
      a,
      b,
      async close() {
        await a[Symbol.asyncDispose]();
        await b[Symbol.asyncDispose]();
        await r.close();
      },
    };
  });

  test('redis: a running stream lapses after runningTtlMs, a finished one after retainFinishedMs', async () => {
    await using r = await testRedis();
    await using log = new RedisGenerationEventLog({
      redis: r.r1,
      keyPrefix: r.keyPrefix,
      runningTtlMs: 50_000,
      retainFinishedMs: 20_000,
    });
    await log.open('g', metaOf('g'));
    await log.append('g', { type: 'text', data: { text: 'x' } });
    const running = await r.r1.pttl(`${r.keyPrefix}gen:g`);
    assert.ok(running > 20_000 && running <= 50_000, String(running));
    await log.append('g', { type: 'done', data: { finishReason: 'stop' } });
    const finished = await r.r1.pttl(`${r.keyPrefix}gen:g`);
    assert.ok(finished > 0 && finished <= 20_000, String(finished));
  });

  test('redis: the runner serves its own readers locally; an abort cuts a remote blocking read', async () => {
    await using r = await testRedis();
    await using runner = new RedisGenerationEventLog({ redis: r.r1, keyPrefix: r.keyPrefix });
    await using other = new RedisGenerationEventLog({ redis: r.r2, keyPrefix: r.keyPrefix, blockMs: 60_000 });
    await runner.open('g', metaOf('g'));
    // Local: the stream is gone from Redis, yet the runner still serves the event from memory.
    await r.r1.del(`${r.keyPrefix}gen:g`);
    const local = await runner.read('g', 0, new AbortController().signal);
    assert.ok(local);
    assert.equal((await take(local, 1))[0]?.type, 'meta');
    await runner.append('g', { type: 'text', data: { text: 'a' } });

    const controller = new AbortController();
    const remote = await other.read('g', 2, controller.signal);
    assert.ok(remote);
    const reading = (async () => {
      const out: GenerationEvent[] = [];
      for await (const e of remote) out.push(e);
      return out;
    })();
    setTimeout(() => controller.abort(), 100);
    // The blocking read (60 s) is cut by the abort.
    assert.deepEqual(await reading, []);
    await runner.append('g', { type: 'done', data: { finishReason: 'cancelled' } });
  });
});
