import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EmbeddingProvider, EmbeddingRequest } from '../inference/embeddings.ts';
import { type ChatChunk, InferenceError, type ModelInfo, type Provider } from '../inference/types.ts';
import { type AcquireHook, type EmbeddingUsageHook, InferenceGateway } from './inference-gateway.ts';

/** A provider listing `models`; `embed` answers one 2-d vector per input and 3 tokens per input. */
function provider(models: Array<Omit<ModelInfo, 'provider'>>): Provider & EmbeddingProvider {
  return {
    id: 'p',
    models: async () => models.map((m) => ({ ...m, provider: 'p' })),
    async *chat(): AsyncGenerator<ChatChunk> {
      yield { type: 'done', finishReason: 'stop' };
    },
    embed: async (req: EmbeddingRequest) => ({
      model: req.model,
      vectors: req.input.map(() => Float32Array.of(0.6, 0.8)),
      promptTokens: 3 * req.input.length,
    }),
    health: async () => ({ ok: true }),
    [Symbol.asyncDispose]: async () => {},
  };
}

const signal = new AbortController().signal;
const MODELS: Array<Omit<ModelInfo, 'provider'>> = [
  { id: 'chat', state: 'ready' },
  { id: 'vec', state: 'ready', kind: 'embedding', embedding: { dimensions: 2, matryoshka: false } },
  { id: 'mrl', state: 'ready', kind: 'embedding', embedding: { dimensions: 2, matryoshka: true } },
];

test('embed: default embedding model, never a chat model; chat never defaults to an embedding model', async () => {
  const gateway = new InferenceGateway({ providers: [provider(MODELS)], defaultEmbeddingModel: 'mrl' });
  const result = await gateway.embed({ input: ['a', 'b'] }, { signal });
  assert.equal(result.model, 'mrl');
  assert.equal(result.vectors.length, 2);
  assert.equal(await gateway.defaultEmbeddingModel(), 'mrl');
  assert.equal((await gateway.listModels()).defaultModel, 'chat');
  assert.equal((await gateway.resolve()).model.id, 'chat');

  const noDefault = new InferenceGateway({ providers: [provider([MODELS[1]!, MODELS[0]!])] });
  assert.equal((await noDefault.listModels()).defaultModel, 'chat');
  assert.equal((await noDefault.embed({ input: ['x'] }, { signal })).model, 'vec');
});

test('embed: chat on an embedding model and embeddings from a chat model are refused clearly', async () => {
  const gateway = new InferenceGateway({ providers: [provider(MODELS)] });
  await assert.rejects(
    gateway.embed({ model: 'chat', input: ['x'] }, { signal }),
    (err: unknown) =>
      err instanceof InferenceError && err.code === 'invalid_request' && /chat model/.test(err.message),
  );
  await assert.rejects(
    gateway.resolve('vec'),
    (err: unknown) =>
      err instanceof InferenceError && err.code === 'invalid_request' && /embedding model/.test(err.message),
  );
  const onlyChat = new InferenceGateway({ providers: [provider([MODELS[0]!])] });
  await assert.rejects(onlyChat.embed({ input: ['x'] }, { signal }), /No embedding model is available/);
});

test('embed: dimensions only where the model allows them', async () => {
  const gateway = new InferenceGateway({ providers: [provider(MODELS)] });
  await assert.rejects(
    gateway.embed({ model: 'vec', input: ['x'], dimensions: 1 }, { signal }),
    /does not support "dimensions"/,
  );
  const ok = await gateway.embed({ model: 'mrl', input: ['x'], dimensions: 1 }, { signal });
  assert.equal(ok.vectors.length, 1);
});

test('embed: with a subject it is admitted without reasoning, released, and its tokens recorded', async () => {
  const seen: unknown[] = [];
  let released = 0;
  const acquire: AcquireHook = async (subject) => {
    seen.push(subject);
    return { release: () => released++ };
  };
  const recorded: Parameters<EmbeddingUsageHook>[0][] = [];
  const gateway = new InferenceGateway({
    providers: [provider(MODELS)],
    acquire,
    recordEmbeddingUsage: async (u) => {
      recorded.push(u);
    },
  });
  await gateway.embed(
    { model: 'vec', input: ['a', 'b'] },
    { signal, subject: { userId: 'u1', plan: 'free', apiKeyId: 'k1' } },
  );
  assert.deepEqual(seen, [{ userId: 'u1', plan: 'free', apiKeyId: 'k1', reasoning: false }]);
  assert.equal(released, 1);
  assert.deepEqual(recorded, [{ userId: 'u1', apiKeyId: 'k1', model: 'vec', promptTokens: 6 }]);
  // Ponder's own calls (no subject) are neither admitted nor metered.
  await gateway.embed({ model: 'vec', input: ['a'] }, { signal });
  assert.equal(seen.length, 1);
  assert.equal(recorded.length, 1);
});
