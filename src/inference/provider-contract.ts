/**
 * The contract every `Provider` passes (design §3), run by each implementation's own test file:
 * `runProviderContract('embedded', async () => ({ provider, model, close }))`. Asserts structure only,
 * never wording, so it works on random-weight models; the provider under test should not stop at EOS
 * before a handful of tokens (the embedded one uses `ignoreEos` in tests).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ChatChunk, type ChatRequest, InferenceError, type Provider } from './types.ts';

export interface ContractSubject {
  provider: Provider;
  /** A model id the provider serves. */
  model: string;
  /**
   * The backend really runs tools and formats (a real engine, or a Ponder in front of one), so the tool
   * and structured-output cases run; a scripted wire-format stand-in leaves them out.
   */
  tools?: boolean;
  close(): Promise<void>;
}

async function collect(stream: AsyncIterable<ChatChunk>, onChunk?: (c: ChatChunk, all: ChatChunk[]) => void) {
  const chunks: ChatChunk[] = [];
  for await (const c of stream) {
    chunks.push(c);
    onChunk?.(c, chunks);
  }
  return chunks;
}

/** Checks the stream grammar: content, then `usage`, then exactly one `done`, last. */
export function assertWellFormed(chunks: ChatChunk[]): void {
  const dones = chunks.filter((c) => c.type === 'done');
  assert.equal(dones.length, 1, 'exactly one done chunk');
  assert.equal(chunks.at(-1)?.type, 'done', 'done is last');
  const usageAt = chunks.findIndex((c) => c.type === 'usage');
  if (usageAt >= 0) {
    assert.equal(usageAt, chunks.length - 2, 'usage comes right before done');
    assert.equal(chunks.filter((c) => c.type === 'usage').length, 1, 'one usage chunk');
  }
  const firstText = chunks.findIndex((c) => c.type === 'text');
  if (firstText >= 0) {
    assert.ok(
      !chunks.slice(firstText).some((c) => c.type === 'reasoning'),
      'no reasoning after the answer started',
    );
  }
}

export function runProviderContract(name: string, makeProvider: () => Promise<ContractSubject>): void {
  describe(`Provider contract: ${name}`, () => {
    let s: ContractSubject;
    const req = (extra: Partial<ChatRequest> = {}): ChatRequest => ({
      model: s.model,
      messages: [{ role: 'user', content: 'What is 2 + 2?' }],
      seed: 7,
      ...extra,
    });

    before(async () => {
      s = await makeProvider();
    });
    after(async () => {
      await s?.close();
    });

    test('models() lists the model', async () => {
      const models = await s.provider.models();
      const m = models.find((x) => x.id === s.model);
      assert.ok(m, `models() includes ${s.model}`);
      assert.equal(m.provider, s.provider.id);
    });

    test('chat streams reasoning, then text, then usage and one done', async () => {
      const chunks = await collect(
        s.provider.chat(req({ maxTokens: 24, thinking: { enabled: true, budgetTokens: 6 } }), {
          signal: AbortSignal.timeout(60_000),
        }),
      );
      assertWellFormed(chunks);
      assert.ok(
        chunks.some((c) => c.type === 'reasoning'),
        'some reasoning',
      );
      assert.ok(
        chunks.some((c) => c.type === 'text'),
        'some answer text',
      );
      const usage = chunks.find((c) => c.type === 'usage');
      assert.ok(usage && usage.type === 'usage', 'usage chunk');
      assert.ok(usage.promptTokens > 0);
      assert.ok(usage.completionTokens >= usage.reasoningTokens && usage.reasoningTokens > 0);
      const done = chunks.at(-1);
      assert.ok(done?.type === 'done' && (done.finishReason === 'stop' || done.finishReason === 'length'));
    });

    test('abort ends the stream with done: cancelled, keeping what came before', async () => {
      const ac = new AbortController();
      const chunks = await collect(
        s.provider.chat(req({ maxTokens: 400 }), { signal: ac.signal }),
        (c, all) => {
          if (
            (c.type === 'reasoning' || c.type === 'text') &&
            all.filter((x) => x.type !== 'queued').length === 2
          ) {
            ac.abort();
          }
        },
      );
      assertWellFormed(chunks);
      assert.ok(
        chunks.filter((c) => c.type === 'reasoning' || c.type === 'text').length >= 2,
        'partial output kept',
      );
      const done = chunks.at(-1);
      assert.ok(done?.type === 'done');
      assert.equal(done.finishReason, 'cancelled');
    });

    test('unknown model is InferenceError model_not_found', async () => {
      await assert.rejects(
        collect(
          s.provider.chat(req({ model: 'no-such-model-xyz' }), { signal: AbortSignal.timeout(30_000) }),
        ),
        (err: unknown) => err instanceof InferenceError && err.code === 'model_not_found',
      );
    });

    const toolTest = (name: string, fn: () => Promise<void>) =>
      test(name, async (t) => {
        if (!s.tools) {
          t.skip('the backend is a scripted stand-in, not an engine');
          return;
        }
        await fn();
      });
    const schema = {
      type: 'object',
      properties: {
        city: { type: 'string', maxLength: 16 },
        days: { type: 'integer' },
        unit: { enum: ['c', 'f'] },
      },
      required: ['city', 'days', 'unit'],
      additionalProperties: false,
    };
    const isValid = (v: unknown): boolean => {
      const o = v as Record<string, unknown>;
      return (
        typeof o === 'object' &&
        o !== null &&
        Object.keys(o).sort().join() === 'city,days,unit' &&
        typeof o.city === 'string' &&
        o.city.length <= 16 &&
        Number.isInteger(o.days) &&
        (o.unit === 'c' || o.unit === 'f')
      );
    };

    toolTest(
      'a forced tool call streams as tool_call chunks with schema-valid arguments, ending tool_calls',
      async () => {
        const [info] = (await s.provider.models()).filter((m) => m.id === s.model);
        assert.equal(info?.supportsTools, true, 'the model says it supports tools');
        const chunks = await collect(
          s.provider.chat(
            req({
              maxTokens: 200,
              thinking: { enabled: true, budgetTokens: 6 },
              tools: [{ name: 'forecast', description: 'Weather', parameters: schema }],
              toolChoice: 'required',
            }),
            { signal: AbortSignal.timeout(60_000) },
          ),
        );
        assertWellFormed(chunks);
        const done = chunks.at(-1);
        assert.ok(done?.type === 'done');
        assert.equal(done.finishReason, 'tool_calls', done.error);
        const calls = chunks.filter((c) => c.type === 'tool_call');
        const first = calls[0];
        assert.ok(first && first.type === 'tool_call' && first.index === 0, 'calls start at index 0');
        assert.match(first.id ?? '', /\S/, 'the first chunk carries the id');
        assert.equal(first.name, 'forecast');
        const args = calls.map((c) => (c.type === 'tool_call' ? c.arguments : '')).join('');
        assert.ok(isValid(JSON.parse(args)), args);
        const lastReasoning = chunks.findLastIndex((c) => c.type === 'reasoning');
        assert.ok(lastReasoning < chunks.indexOf(first), 'reasoning comes before the call');
      },
    );

    toolTest('a json_schema response format gives an answer that parses and validates', async () => {
      const chunks = await collect(
        s.provider.chat(
          req({
            maxTokens: 300,
            thinking: { enabled: true, budgetTokens: 6 },
            responseFormat: { type: 'json_schema', name: 'forecast', schema, strict: true },
          }),
          { signal: AbortSignal.timeout(60_000) },
        ),
      );
      assertWellFormed(chunks);
      const text = chunks.map((c) => (c.type === 'text' ? c.text : '')).join('');
      assert.ok(isValid(JSON.parse(text)), text);
    });

    test('health() is ok', async () => {
      const h = await s.provider.health();
      assert.equal(h.ok, true);
    });
  });
}
