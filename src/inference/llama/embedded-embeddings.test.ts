import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ensureTestModel } from '../gguf/test-model.ts';
import { InferenceError } from '../types.ts';
import { createEmbeddedProvider, type EmbeddedProvider } from './index.ts';

// The embedded engine computes embeddings with a generated random-weight embedding model (`embed-tiny`):
// the numbers are noise, but identity, determinism, shapes, normalisation and refusals are real.
let p: EmbeddedProvider;
const signal = new AbortController().signal;

before(async () => {
  const embedPath = await ensureTestModel('embed-tiny');
  p = createEmbeddedProvider({
    // `mrl` is the same file, configured as Matryoshka-trained: `dimensions` allowed.
    models: { chat: await ensureTestModel('tiny'), vec: embedPath, mrl: embedPath },
    embeddingModels: { mrl: { matryoshka: true } },
    slots: 1,
    contextSize: 512,
    batchSize: 64,
    threads: 1,
  });
});
after(async () => {
  await p?.[Symbol.asyncDispose]();
});

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i]!, 0);

test('listing: embedding models say so (from the GGUF header), before and after the engine starts', async () => {
  const fromFiles = await p.models();
  await p.stats(); // starts the engine: the second listing is the engine's own
  for (const models of [fromFiles, await p.models()]) {
    const vec = models.find((m) => m.id === 'vec');
    assert.equal(vec?.kind, 'embedding');
    assert.deepEqual(vec?.embedding, { dimensions: 128, matryoshka: false });
    assert.equal(vec?.supportsTools, undefined);
    assert.deepEqual(models.find((m) => m.id === 'mrl')?.embedding, { dimensions: 128, matryoshka: true });
    assert.equal(models.find((m) => m.id === 'chat')?.kind, undefined);
  }
});

test('identical text gives identical vectors, different text different ones; L2-normalised', async () => {
  const r = await p.embed(
    { model: 'vec', input: ['the cat sat on the mat', 'the cat sat on the mat', 'quarterly revenue', ''] },
    { signal },
  );
  assert.equal(r.model, 'vec');
  assert.equal(r.vectors.length, 4);
  for (const v of r.vectors) {
    assert.equal(v.length, 128);
    assert.ok(Math.abs(cosine(v, v) - 1) < 1e-4, 'unit length');
  }
  assert.deepEqual([...r.vectors[0]!], [...r.vectors[1]!]);
  assert.ok(cosine(r.vectors[0]!, r.vectors[2]!) < 0.999, 'different text, different vector');
  assert.ok(r.promptTokens > 8);
  // An input longer than one batch (64 tokens here) is evaluated in slices: still one deterministic vector.
  const long = 'lorem ipsum dolor sit amet '.repeat(30);
  const slices = await p.embed({ model: 'vec', input: [long, long] }, { signal });
  assert.ok(slices.promptTokens > 2 * 64);
  assert.deepEqual([...slices.vectors[0]!], [...slices.vectors[1]!]);
  // The same text in another request (another batch position) gives the same vector again.
  const again = await p.embed({ model: 'vec', input: ['the cat sat on the mat'] }, { signal });
  assert.ok(cosine(again.vectors[0]!, r.vectors[0]!) > 0.9999);
});

test('dimensions: a Matryoshka model truncates and renormalises; others refuse', async () => {
  const full = await p.embed({ model: 'mrl', input: ['hello'] }, { signal });
  const short = await p.embed({ model: 'mrl', input: ['hello'], dimensions: 32 }, { signal });
  assert.equal(short.vectors[0]!.length, 32);
  assert.ok(Math.abs(cosine(short.vectors[0]!, short.vectors[0]!) - 1) < 1e-4);
  assert.ok(cosine(short.vectors[0]!, full.vectors[0]!.subarray(0, 32)) > 0);
  await assert.rejects(
    p.embed({ model: 'vec', input: ['hello'], dimensions: 32 }, { signal }),
    (err: unknown) =>
      err instanceof InferenceError && err.code === 'invalid_request' && /dimensions/.test(err.message),
  );
  await assert.rejects(
    p.embed({ model: 'mrl', input: ['hello'], dimensions: 4096 }, { signal }),
    /makes vectors of 128/,
  );
});

test('refusals: chat on an embedding model, embeddings from a chat model, an input past the context', async () => {
  await assert.rejects(
    p.embed({ model: 'chat', input: ['x'] }, { signal }),
    (err: unknown) =>
      err instanceof InferenceError && err.code === 'invalid_request' && /chat model/.test(err.message),
  );
  const chat = p.chat(
    { model: 'vec', messages: [{ role: 'user', content: 'hi' }], maxTokens: 2 },
    { signal },
  );
  await assert.rejects(
    (async () => {
      for await (const _ of chat) {
        /* refused before any chunk */
      }
    })(),
    (err: unknown) => err instanceof InferenceError && /embedding model/.test(err.message),
  );
  await assert.rejects(
    p.embed({ model: 'vec', input: ['word '.repeat(2000)] }, { signal }),
    (err: unknown) =>
      err instanceof InferenceError && err.code === 'context_overflow' && /Input 0/.test(err.message),
  );
  await assert.rejects(p.embed({ model: 'nope', input: ['x'] }, { signal }), /Unknown model "nope"/);
});

test('an engine that dies mid-embedding fails the call (engine_error); the next call gets a new engine', async () => {
  const long = 'lorem ipsum dolor sit amet '.repeat(30);
  const pending = p.embed({ model: 'vec', input: Array(200).fill(long) }, { signal });
  // The request is on its way (the engine runs already); it takes seconds, so the kill lands mid-way.
  await new Promise((r) => setTimeout(r, 50));
  const pid = p.enginePid;
  assert.ok(pid !== undefined);
  process.kill(pid, 'SIGKILL');
  await assert.rejects(
    pending,
    (err: unknown) => err instanceof InferenceError && err.code === 'engine_error',
  );
  const again = await p.embed({ model: 'vec', input: ['after the crash'] }, { signal });
  assert.equal(again.vectors.length, 1);
  assert.notEqual(p.enginePid, pid);
});
