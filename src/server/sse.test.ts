import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import type { GenerationEvent } from '../api/conversations.ts';
import { encodeSseEvent, SseStream } from './sse.ts';

test('encodes id, event and one-line JSON data', () => {
  assert.equal(
    encodeSseEvent({ id: 3, type: 'text', data: { text: 'a\nb' } }),
    'id: 3\nevent: text\ndata: {"text":"a\\nb"}\n\n',
  );
});

test('streams events with SSE headers, keeps headers set earlier, pings while idle, notices the client leaving', async () => {
  const app = Fastify({ forceCloseConnections: true });
  let closedSignal: AbortSignal | undefined;
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
  });
  app.get('/stream', async (_request, reply) => {
    const sse = new SseStream(reply, { pingMs: 20 });
    closedSignal = sse.signal;
    async function* events(): AsyncGenerator<GenerationEvent> {
      yield { id: 1, type: 'text', data: { text: 'hello' } };
      await gate;
      yield { id: 2, type: 'done', data: { finishReason: 'stop' } };
    }
    await sse.pipe(events());
    return reply;
  });
  app.get('/hang', async (_request, reply) => {
    const sse = new SseStream(reply, { pingMs: 1000 });
    closedSignal = sse.signal;
    await new Promise<void>((resolve) => sse.signal.addEventListener('abort', () => resolve()));
    return reply;
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const address = app.server.address();
    assert.ok(address && typeof address === 'object');
    const base = `http://127.0.0.1:${address.port}`;
    const res = await fetch(`${base}/stream`);
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.equal(res.headers.get('cache-control'), 'no-cache, no-transform');
    assert.equal(res.headers.get('x-accel-buffering'), 'no');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    setTimeout(release, 120);
    const body = await res.text();
    assert.ok(body.startsWith('id: 1\nevent: text\ndata: {"text":"hello"}\n\n'));
    assert.ok(body.includes(': ping\n\n'));
    assert.ok(body.endsWith('id: 2\nevent: done\ndata: {"finishReason":"stop"}\n\n'));

    const abort = new AbortController();
    const hang = await fetch(`${base}/hang`, { signal: abort.signal });
    assert.equal(hang.status, 200);
    abort.abort();
    await new Promise<void>((resolve) => {
      if (closedSignal?.aborted) resolve();
      else closedSignal?.addEventListener('abort', () => resolve());
    });
    assert.equal(closedSignal?.aborted, true);
  } finally {
    await app.close();
  }
});
