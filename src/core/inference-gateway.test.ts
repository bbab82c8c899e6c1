import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChatChunk, ModelInfo, Provider } from '../inference/types.ts';
import { GatewayError, InferenceGateway } from './inference-gateway.ts';

/** A provider with a fixed model list that answers every request with one text chunk naming itself. */
function listedProvider(id: string, models: Array<Omit<ModelInfo, 'provider'>>): Provider {
  return {
    id,
    models: async () => models.map((m) => ({ ...m, provider: id })),
    async *chat(req): AsyncGenerator<ChatChunk> {
      yield { type: 'text', text: `${id}:${req.model}` };
      yield { type: 'done', finishReason: 'stop' };
    },
    health: async () => ({ ok: true }),
    [Symbol.asyncDispose]: async () => {},
  };
}

async function firstText(gateway: InferenceGateway, model: string): Promise<string> {
  for await (const chunk of gateway.chat({ model, messages: [] }, { signal: new AbortController().signal })) {
    if (chunk.type === 'text') return chunk.text;
  }
  return '';
}

test('routes a model to the provider that has it ready and merges listings', async () => {
  const embedded = listedProvider('embedded', [
    { id: 'local', state: 'ready' },
    { id: 'shared', state: 'loading' },
  ]);
  const upstream = listedProvider('vllm', [{ id: 'shared', state: 'ready' }]);
  const broken: Provider = {
    ...listedProvider('broken', []),
    models: async () => Promise.reject(new Error('down')),
  };
  const gateway = new InferenceGateway({
    providers: [embedded, broken, upstream],
    defaultModel: '/models/local.gguf',
  });
  const listing = await gateway.listModels();
  assert.equal(listing.defaultModel, 'local');
  assert.deepEqual(
    listing.models.map((m) => [m.id, m.provider, m.state]),
    [
      ['local', 'embedded', 'ready'],
      ['shared', 'vllm', 'ready'],
    ],
  );
  assert.equal(await firstText(gateway, 'shared'), 'vllm:shared');
  assert.equal(await firstText(gateway, 'local'), 'embedded:local');
  assert.equal((await gateway.resolve()).model.id, 'local');
});

test('typed errors: unknown model, model not ready (with what to do), nothing at all', async () => {
  const gateway = new InferenceGateway({
    providers: [listedProvider('embedded', [{ id: 'big', state: 'downloading', downloadProgress: 0.42 }])],
    extraModels: () => [{ id: 'other', provider: 'embedded', state: 'unavailable', detail: 'file missing' }],
  });
  await assert.rejects(gateway.resolve('nope'), (err: unknown) => {
    assert.ok(err instanceof GatewayError);
    assert.equal(err.code, 'unknown_model');
    return true;
  });
  await assert.rejects(gateway.resolve('big'), (err: unknown) => {
    assert.ok(err instanceof GatewayError);
    assert.equal(err.code, 'model_not_ready');
    assert.match(err.message, /42%/);
    // A download ends: worth retrying.
    assert.equal(err.state, 'downloading');
    assert.ok((err.retryAfterSeconds ?? 0) > 0);
    return true;
  });
  await assert.rejects(gateway.resolve('other'), (err: unknown) => {
    assert.ok(err instanceof GatewayError);
    assert.match(err.message, /\.gguf/);
    // Nothing changes by waiting: no Retry-After to count down.
    assert.equal(err.state, 'unavailable');
    assert.equal(err.retryAfterSeconds, undefined);
    return true;
  });
  const empty = new InferenceGateway({ providers: [] });
  assert.deepEqual(await empty.listModels(), { models: [], defaultModel: null });
  await assert.rejects(
    empty.resolve(),
    (err: unknown) =>
      err instanceof GatewayError &&
      err.code === 'model_not_ready' &&
      err.state === 'missing' &&
      err.retryAfterSeconds === undefined,
  );
});

test('the admission seam admits at once by default', async () => {
  const gateway = new InferenceGateway({ providers: [] });
  const grant = await gateway.acquire(
    { userId: 'u', plan: 'free' },
    { signal: new AbortController().signal },
  );
  grant.release();
});
