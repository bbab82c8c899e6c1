/**
 * A hostile upstream streams one 16 MB SSE line (issue 9, item 5). Before the fix the line splitter re-scanned
 * its whole buffer on every TCP chunk and `/healthz` stalled for ~5 s. Now parsing is linear and the line is
 * capped: the event loop keeps answering, and over the cap the stream ends with a clean error.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createUpstreamPool, type UpstreamPool } from '../src/inference/upstream/pool.ts';
import {
  type ScriptedLine,
  type ScriptedUpstream,
  startScriptedUpstream,
} from '../src/inference/upstream/scripted-upstream.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';

const PIECE = 'x'.repeat(64 * 1024);
const PIECES = 256; // 16 MiB

function hugeLine(): ScriptedLine[] {
  return [
    { line: 'data: {"choices":[{"delta":{"content":"', eol: '' },
    ...Array.from({ length: PIECES }, () => ({ line: PIECE, eol: '' })),
    { line: '"}}]}', eol: '\n\n' },
    { line: 'data: [DONE]', eol: '\n\n' },
  ];
}

/** Streams one chat through `/v1` while polling `/healthz`; returns the body and every poll's latency. */
async function streamWhilePolling(
  server: TestServer,
  key: string,
): Promise<{ body: string; latencies: number[] }> {
  const latencies: number[] = [];
  let streaming = true;
  const poller = (async () => {
    while (streaming) {
      const t0 = performance.now();
      const res = await fetch(`${server.baseUrl}/healthz`);
      assert.equal(res.status, 200);
      await res.text();
      latencies.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  try {
    const res = await fetch(`${server.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'r1-test', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(res.status, 200);
    return { body: await res.text(), latencies };
  } finally {
    streaming = false;
    await poller;
  }
}

describe('attack: an upstream that sends a 16 MB SSE line', () => {
  let upstream: ScriptedUpstream;

  before(async () => {
    upstream = await startScriptedUpstream({ models: ['r1-test'] });
  });
  after(async () => {
    await upstream?.close();
  });

  for (const variant of [
    { name: 'over the default 1 MiB cap: a clean error', maxEventBytes: undefined },
    { name: 'under a raised cap: parsed in linear time', maxEventBytes: 32 * 1024 * 1024 },
  ]) {
    describe(variant.name, () => {
      let server: TestServer;
      let pool: UpstreamPool;
      let key: string;

      before(async () => {
        pool = createUpstreamPool([{ id: 'hostile', baseUrl: upstream.baseUrl, reasoningFormat: 'auto' }], {
          healthCheckIntervalMs: 0,
          ...(variant.maxEventBytes ? { maxEventBytes: variant.maxEventBytes } : {}),
        });
        server = await startTestServer({
          deps: { providers: [pool], upstreamPools: [pool], defaultModel: 'r1-test' },
        });
        const { cookie } = await server.signup();
        const res = await server.request('/api/keys', { method: 'POST', cookie, json: { name: 'flood' } });
        key = ((await res.json()) as { key: string }).key;
      });
      after(async () => {
        await server?.close();
      });

      test('/healthz answers every poll while the line streams', async () => {
        upstream.enqueue({ lines: hugeLine() });
        const { body, latencies } = await streamWhilePolling(server, key);
        assert.ok(latencies.length >= 1, 'polled at least once');
        // The one timing assertion allowed here, kept generous: the old code stalled for ~5 s.
        const worst = Math.max(...latencies);
        assert.ok(worst < 1000, `worst /healthz latency ${Math.round(worst)} ms`);
        if (variant.maxEventBytes === undefined) {
          assert.match(body, /"error"/);
          assert.doesNotMatch(body, /x{1000}/);
        } else {
          assert.ok(body.includes(PIECE), 'the whole line came through');
        }
        assert.match(body, /data: \[DONE\]/);
      });
    });
  }
});
