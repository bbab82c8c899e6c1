/**
 * Graceful shutdown of `/v1/messages`, with a real `ponder serve` process on the tiny model (grace 1 s):
 * a stream goes on during the grace period, then ends the way Anthropic ends a stream it cannot finish —
 * an `error` event (`overloaded_error`), never a cut TCP stream; a request arriving meanwhile is refused.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ensureTestModel } from '../src/inference/gguf/test-model.ts';
import { readSse, type SseEvent, waitFor } from './conversations-helpers.ts';
import { SMALL_ENGINE_ENV, serveLeftovers, startServe } from './serve-process.ts';

const { started, dirs, cleanUp } = serveLeftovers();
after(cleanUp);

test('SIGTERM mid /v1/messages stream: it drains for the grace period, then ends with an error event', async () => {
  const model = await ensureTestModel('tiny');
  const dataDir = await mkdtemp(join(tmpdir(), 'ponder-messages-drain-'));
  dirs.push(dataDir);
  const server = await startServe(
    ['--data-dir', dataDir, '--model', model, '--no-pull', '--shutdown-grace', '1'],
    SMALL_ENGINE_ENV,
    (child) => started.push(child),
  );
  const origin = { origin: server.url, 'content-type': 'application/json' };
  const signup = await fetch(`${server.url}/api/auth/signup`, {
    method: 'POST',
    headers: origin,
    body: JSON.stringify({
      email: 'drain@example.com',
      password: 'correct horse battery staple',
      setupCode: server.setupCode,
    }),
  });
  assert.equal(signup.status, 201);
  const cookie = (signup.headers.getSetCookie().find((c) => c.startsWith('ponder_session=')) ?? '').split(
    ';',
  )[0];
  const created = await fetch(`${server.url}/api/keys`, {
    method: 'POST',
    headers: { ...origin, cookie: cookie ?? '' },
    body: JSON.stringify({ name: 'drain' }),
  });
  const { key } = (await created.json()) as { key: string };
  const headers = { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' };
  const models = (await (await fetch(`${server.url}/v1/models`, { headers })).json()) as {
    data: { id: string }[];
  };
  const body = (attempt: number) =>
    JSON.stringify({
      model: models.data[0]?.id,
      max_tokens: 3000,
      stream: true,
      messages: [{ role: 'user', content: `Write at length (${attempt}).` }],
    });

  // A random-weight model may end early: retry until a stream is well under way.
  let events: SseEvent[] = [];
  let it: AsyncGenerator<SseEvent> | undefined;
  for (let attempt = 0; attempt < 4 && !it; attempt++) {
    const res = await fetch(`${server.url}/v1/messages`, { method: 'POST', headers, body: body(attempt) });
    assert.equal(res.status, 200);
    const stream = readSse(res);
    events = [];
    for (let r = await stream.next(); !r.done; r = await stream.next()) {
      events.push(r.value);
      if (r.value.event === 'message_stop' || events.length >= 8) break;
    }
    if (events.at(-1)?.event !== 'message_stop') it = stream;
  }
  assert.ok(it, 'the model kept ending its answers early');
  const before = events.length;
  server.child.kill('SIGTERM');
  await waitFor(async () => (server.output.join('').includes('"shutting down"') ? true : undefined));
  const late = await fetch(`${server.url}/v1/messages`, { method: 'POST', headers, body: body(9) }).catch(
    () => null,
  );
  if (late) {
    assert.equal(late.status, 529);
    assert.ok(late.headers.get('retry-after'));
    assert.equal(((await late.json()) as { error: { type: string } }).error.type, 'overloaded_error');
  }
  for await (const event of it) events.push(event);
  assert.ok(events.length > before + 2, 'the stream went on during the grace period');
  const last = events.at(-1);
  assert.equal(
    last?.event,
    'error',
    events
      .slice(-3)
      .map((e) => e.event)
      .join(),
  );
  assert.equal((last?.data as { error?: { type: string } } | undefined)?.error?.type, 'overloaded_error');
  // The open block was closed before the error.
  assert.equal(events.at(-2)?.event, 'content_block_stop');
  assert.equal((await server.exited).code, 0);
});
