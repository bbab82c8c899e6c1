/**
 * Graceful shutdown of a streamed Responses API request (the same drain as chat completions): a stream
 * running when the server shuts down goes on during the grace period, then ends as a protocol-complete
 * `response.failed` (error `server_error`, "interrupted …") after closing its open item, not a cut TCP
 * stream; a new request meanwhile is refused with 503.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { ShutdownHooks } from '../src/server/shutdown.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';
import { assertEventOrder } from './openai-responses-helpers.ts';

describe('Responses API stream during shutdown', () => {
  let server: TestServer;
  let client: OpenAI;
  const hooks = new ShutdownHooks();

  before(async () => {
    server = await startTestServer({ withModel: true, deps: { shutdownHooks: hooks } });
    const { cookie } = await server.signup();
    const res = await server.request('/api/keys', { method: 'POST', cookie, json: { name: 'drain' } });
    const { key } = (await res.json()) as { key: string };
    client = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: key, maxRetries: 0, timeout: 60_000 });
  });
  after(async () => {
    await server?.close();
  });

  test('a running stream ends with response.failed after the grace period; new ones get 503', async () => {
    const stream = client.responses.stream({
      model: 'tiny',
      input: 'Write a long story.',
      max_output_tokens: 900,
      reasoning: { effort: 'none' },
    });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    let draining: Promise<string[]> | undefined;
    for await (const event of stream) {
      events.push(event);
      if (!draining && event.type === 'response.output_text.delta') draining = hooks.run(200);
    }
    assert.ok(draining, 'the answer had begun');
    await assert.rejects(
      client.responses.create({ model: 'tiny', input: 'late' }),
      (err: { status?: number }) => err.status === 503,
    );
    await draining;
    assertEventOrder(events);
    const last = events.at(-1);
    assert.ok(last?.type === 'response.failed', events.map((e) => e.type).join(' '));
    assert.equal(last.response.error?.code, 'server_error');
    assert.match(last.response.error?.message ?? '', /interrupted/);
    const message = last.response.output.find((i) => i.type === 'message');
    assert.ok(message?.type === 'message' && message.status === 'incomplete');
  });
});
