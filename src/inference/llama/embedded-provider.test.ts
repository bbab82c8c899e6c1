import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ensureTestModel } from '../gguf/test-model.ts';
import { assertWellFormed } from '../provider-contract.ts';
import type { ChatRequest } from '../types.ts';
import { createEmbeddedProvider, type EmbeddedProvider } from './index.ts';
import { collect, contentCount, doneOf, usageOf } from './test-helpers.ts';

// Random-weight model: assert structure only. `ignoreEos` keeps generations running to maxTokens.
describe('embedded provider on the tiny generated model', () => {
  let p: EmbeddedProvider;
  const signal = () => AbortSignal.timeout(60_000);
  const req = (extra: Partial<ChatRequest> = {}): ChatRequest => ({
    model: 'tiny',
    messages: [{ role: 'user', content: 'Explain lockstep decoding.' }],
    seed: 3,
    ...extra,
  });

  before(async () => {
    p = createEmbeddedProvider({
      models: { tiny: await ensureTestModel('tiny') },
      slots: 2,
      contextSize: 1024,
      batchSize: 64,
      ignoreEos: true,
      creditWindow: 8,
      // One thread: on a busy 2-core CI box llama.cpp's spinning helper threads collapse throughput 20-100×.
      threads: 1,
    });
    await p.load('tiny');
  });
  after(async () => {
    await p?.[Symbol.asyncDispose]();
  });

  test('two requests decode in shared batches', async () => {
    const before = await p.stats();
    const [a, b] = await Promise.all([
      collect(p.chat(req({ maxTokens: 40 }), { signal: signal() })),
      collect(p.chat(req({ maxTokens: 40, seed: 4 }), { signal: signal() })),
    ]);
    for (const chunks of [a, b]) {
      assertWellFormed(chunks);
      assert.equal(doneOf(chunks).finishReason, 'length');
      assert.equal(usageOf(chunks).completionTokens, 40);
    }
    const after = await p.stats();
    const pairs = (after.batchSequenceHistogram[2] ?? 0) - (before.batchSequenceHistogram[2] ?? 0);
    // Lockstep: nearly every step of the two 40-token streams shares a batch (fallback timers may split a few).
    assert.ok(pairs >= 10, `batches holding both sequences: ${pairs}`);
  });

  test('a follow-up turn with the same affinity key reuses the KV prefix', async () => {
    const first = await collect(p.chat(req({ maxTokens: 12 }), { signal: signal(), affinityKey: 'conv-1' }));
    const text = first.flatMap((c) => (c.type === 'text' ? [c.text] : [])).join('');
    const reasoning = first.flatMap((c) => (c.type === 'reasoning' ? [c.text] : [])).join('');
    const firstUsage = usageOf(first);
    const second = await collect(
      p.chat(
        req({
          maxTokens: 8,
          messages: [
            { role: 'user', content: 'Explain lockstep decoding.' },
            { role: 'assistant', content: text || 'ok', reasoning },
            { role: 'user', content: 'And batching?' },
          ],
        }),
        { signal: signal(), affinityKey: 'conv-1' },
      ),
    );
    const u = usageOf(second);
    assert.ok(u.cachedPromptTokens > 0, `cached ${u.cachedPromptTokens}`);
    assert.ok(
      u.cachedPromptTokens >= firstUsage.promptTokens - 2,
      'the whole first prompt but the think prefix',
    );
    assert.ok(u.cachedPromptTokens < u.promptTokens);
  });

  test('cancellation keeps the partial output and frees the slot', async () => {
    const ac = new AbortController();
    const chunks = await collect(p.chat(req({ maxTokens: 500 }), { signal: ac.signal }), (_c, all) => {
      if (all.filter((x) => x.type === 'reasoning').length === 3) ac.abort();
    });
    assertWellFormed(chunks);
    assert.equal(doneOf(chunks).finishReason, 'cancelled');
    assert.ok(contentCount(chunks, 'reasoning') >= 3);
    assert.ok(usageOf(chunks).completionTokens >= 3);
    assert.equal((await p.health()).slotsBusy, 0);
  });

  test('a thinking budget of N gives at most N reasoning tokens, then the answer', async () => {
    const chunks = await collect(
      p.chat(req({ maxTokens: 30, thinking: { enabled: true, budgetTokens: 6 } }), { signal: signal() }),
    );
    assertWellFormed(chunks);
    const u = usageOf(chunks);
    assert.ok(u.reasoningTokens > 0 && u.reasoningTokens <= 6, `reasoning tokens ${u.reasoningTokens}`);
    assert.ok(contentCount(chunks, 'text') > 0, 'answer text after the budget');
    assert.equal(u.completionTokens, 30);
  });

  test('thinking off gives no reasoning chunks at all', async () => {
    const chunks = await collect(
      p.chat(req({ maxTokens: 16, thinking: { enabled: false } }), { signal: signal() }),
    );
    assertWellFormed(chunks);
    assert.equal(contentCount(chunks, 'reasoning'), 0);
    assert.ok(contentCount(chunks, 'text') > 0);
    assert.equal(usageOf(chunks).reasoningTokens, 0);
  });

  test('maxTokens caps reasoning and answer together', async () => {
    const chunks = await collect(p.chat(req({ maxTokens: 5 }), { signal: signal() }));
    assert.equal(doneOf(chunks).finishReason, 'length');
    assert.equal(usageOf(chunks).completionTokens, 5);
  });

  test('a seed makes output reproducible, and a stop string ends the answer before it', async () => {
    const run = async (extra: Partial<ChatRequest> = {}) => {
      const chunks = await collect(
        p.chat(req({ maxTokens: 20, seed: 5, thinking: { enabled: false }, ...extra }), { signal: signal() }),
      );
      return { texts: chunks.flatMap((c) => (c.type === 'text' ? [c.text] : [])), done: doneOf(chunks) };
    };
    const a = await run();
    const b = await run();
    assert.deepEqual(b.texts, a.texts);
    const stopAt = a.texts.findIndex(
      (t, i) => i >= 3 && t.trim() !== '' && !a.texts.slice(0, i).join('').includes(t),
    );
    assert.ok(stopAt > 0, 'a usable stop string');
    const c = await run({ stop: [a.texts[stopAt] as string] });
    assert.equal(c.done.finishReason, 'stop');
    assert.equal(c.texts.join(''), a.texts.slice(0, stopAt).join(''));
  });

  test('requests queue with their position when every slot is busy', async () => {
    const busy = new AbortController();
    const first = [0, 1].map(() => collect(p.chat(req({ maxTokens: 800 }), { signal: busy.signal })));
    // Wait until both slots are generating.
    for (let i = 0; i < 500 && ((await p.health()).slotsBusy ?? 0) < 2; i++)
      await new Promise((r) => setTimeout(r, 10));
    const third = collect(p.chat(req({ maxTokens: 4 }), { signal: signal() }), (c) => {
      if (c.type === 'queued') busy.abort();
    });
    const chunks = await third;
    const queued = chunks[0];
    assert.ok(queued?.type === 'queued');
    assert.equal(queued.position, 1);
    // Earlier tests finished requests, so the engine has hold times to estimate from.
    assert.ok(queued.etaMs !== undefined && queued.etaMs >= 0);
    assertWellFormed(chunks);
    assert.equal(doneOf(chunks).finishReason, 'length');
    for (const c of await Promise.all(first)) assert.equal(doneOf(c).finishReason, 'cancelled');
  });

  test('a consumer that stops iterating early frees its slot', async () => {
    for await (const c of p.chat(req({ maxTokens: 500 }), { signal: signal() })) {
      if (c.type === 'reasoning') break;
    }
    let busy = 1;
    for (let i = 0; i < 200 && busy > 0; i++) {
      busy = (await p.health()).slotsBusy ?? 0;
      if (busy > 0) await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(busy, 0);
  });

  test('unload frees the model; the next request loads it again', async () => {
    await p.unload('tiny');
    assert.deepEqual((await p.stats()).loadedModels, []);
    const chunks = await collect(p.chat(req({ maxTokens: 3 }), { signal: signal() }));
    assert.equal(doneOf(chunks).finishReason, 'length');
    assert.deepEqual((await p.stats()).loadedModels, ['tiny']);
  });

  test('a slow consumer pauses its request instead of buffering without bound', async () => {
    const it = p.chat(req({ maxTokens: 300 }), { signal: signal() })[Symbol.asyncIterator]();
    await it.next();
    const before = (await p.stats()).decodedTokens;
    await new Promise((r) => setTimeout(r, 400));
    const during = (await p.stats()).decodedTokens - before;
    // creditWindow is 8: the child stops within a window of the consumer, however long it waits.
    assert.ok(during <= 12, `tokens decoded while the consumer slept: ${during}`);
    let n = 1;
    let last: unknown;
    for (let r = await it.next(); !r.done; r = await it.next()) {
      n++;
      last = r.value;
    }
    assert.deepEqual(last, { type: 'done', finishReason: 'length' });
    assert.ok(n > 8);
  });
});
