/**
 * The embeddings part of the Provider contract (issue 13), run by each embedding provider's own test:
 * `runEmbeddingContract('embedded', async () => ({ provider, model, chatModel, close }))`. Structure only
 * (random-weight models): listing, one unit vector per input in order, identity, refusals.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { canEmbed, type EmbeddingProvider } from './embeddings.ts';
import { InferenceError, type Provider } from './types.ts';

export interface EmbeddingContractSubject {
  provider: Provider & EmbeddingProvider;
  /** An embedding model the provider serves, with fixed-size vectors (no `dimensions`). */
  model: string;
  /** A chat model the same provider serves, when it has one: embedding from it is refused. */
  chatModel?: string;
  close(): Promise<void>;
}

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i]!, 0);

export function runEmbeddingContract(name: string, make: () => Promise<EmbeddingContractSubject>): void {
  describe(`Provider contract (embeddings): ${name}`, () => {
    let s: EmbeddingContractSubject;
    const signal = () => AbortSignal.timeout(60_000);
    before(async () => {
      s = await make();
    });
    after(async () => {
      await s?.close();
    });

    test('the model is listed as an embedding model, and the provider can embed', async () => {
      assert.ok(canEmbed(s.provider));
      const m = (await s.provider.models()).find((x) => x.id === s.model);
      assert.equal(m?.kind, 'embedding');
      assert.equal(m?.supportsTools, undefined);
    });

    test('one L2-normalised vector per input, in order; identical text, identical vector', async () => {
      const input = ['alpha beta gamma', 'a completely different sentence', 'alpha beta gamma'];
      const r = await s.provider.embed({ model: s.model, input }, { signal: signal() });
      assert.equal(r.model, s.model);
      assert.equal(r.vectors.length, 3);
      const length = r.vectors[0]!.length;
      assert.ok(length > 0);
      for (const v of r.vectors) {
        assert.equal(v.length, length);
        assert.ok(Math.abs(dot(v, v) - 1) < 1e-3, 'unit length');
      }
      assert.ok(dot(r.vectors[0]!, r.vectors[2]!) > 0.9999, 'identical text, identical vector');
      assert.ok(dot(r.vectors[0]!, r.vectors[1]!) < 0.999, 'different text, different vector');
      assert.ok(r.promptTokens > 0, 'tokens counted');
    });

    test('dimensions on a fixed-size model, an unknown model, a chat model and chat on it are refused', async () => {
      await assert.rejects(
        s.provider.embed({ model: s.model, input: ['x'], dimensions: 8 }, { signal: signal() }),
        (err: unknown) => err instanceof InferenceError && err.code === 'invalid_request',
      );
      await assert.rejects(
        s.provider.embed({ model: 'no-such-embedding-model', input: ['x'] }, { signal: signal() }),
        (err: unknown) => err instanceof InferenceError && err.code === 'model_not_found',
      );
      if (s.chatModel) {
        await assert.rejects(
          s.provider.embed({ model: s.chatModel, input: ['x'] }, { signal: signal() }),
          (err: unknown) => err instanceof InferenceError && err.code === 'invalid_request',
        );
      }
      const chat = async () => {
        for await (const c of s.provider.chat(
          { model: s.model, messages: [{ role: 'user', content: 'hi' }], maxTokens: 2 },
          { signal: signal() },
        )) {
          if (c.type === 'done') return c;
        }
        return undefined;
      };
      await assert.rejects(
        chat(),
        (err: unknown) => err instanceof InferenceError && err.code === 'invalid_request',
      );
    });
  });
}
