import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LlamaText } from 'node-llama-cpp';
import { ensureTestModel } from '../gguf/test-model.ts';
import { assertWellFormed } from '../provider-contract.ts';
import type { ChatChunk, ChatMessage, ChatRequest } from '../types.ts';
import { continuationTurn, R1ChatWrapper, toChatHistory, withOpenModelTurn } from './chat-wrapper.ts';
import { createEmbeddedProvider, type EmbeddedProvider } from './index.ts';
import { collect, contentCount, doneOf, usageOf } from './test-helpers.ts';

const question: ChatMessage = { role: 'user', content: 'Explain lockstep decoding.' };
const joined = (chunks: ChatChunk[], type: 'reasoning' | 'text') =>
  chunks.flatMap((c) => (c.type === type ? [c.text] : [])).join('');

describe('continuing a trailing assistant message: the prompt', () => {
  const render = (last: ChatMessage) => {
    const w = new R1ChatWrapper('continue');
    const history = [...toChatHistory([question]), continuationTurn(last)];
    const { contextText } = w.generateContextState({ chatHistory: history });
    return LlamaText([contextText, w.assistantPrefix]).toString();
  };

  test('ends inside the assistant turn, after its answer, with no new turn opened', () => {
    const prompt = render({ role: 'assistant', content: 'Lockstep means', reasoning: 'They wait.' });
    assert.ok(prompt.endsWith('<｜Assistant｜><think>\nThey wait.</think>\n\nLockstep means'), prompt);
    assert.equal(prompt.split('<｜Assistant｜>').length, 2, 'one assistant turn');
    assert.ok(!prompt.includes('<｜end▁of▁sentence｜>'));
  });

  test('cut off while thinking: the think block stays open', () => {
    const w = new R1ChatWrapper('on', 'First, the batch');
    const { contextText } = w.generateContextState({
      chatHistory: withOpenModelTurn(toChatHistory([question])),
    });
    const prompt = LlamaText([contextText, w.assistantPrefix]).toString();
    assert.ok(prompt.endsWith('<｜Assistant｜><think>\nFirst, the batch'), prompt);
  });
});

// Random-weight model: assert structure only. `ignoreEos` keeps generations running to maxTokens.
describe('embedded engine: continue and answer now', () => {
  let p: EmbeddedProvider;
  const signal = () => AbortSignal.timeout(60_000);
  const req = (extra: Partial<ChatRequest> = {}): ChatRequest => ({
    model: 'tiny',
    messages: [question],
    seed: 3,
    ...extra,
  });

  before(async () => {
    p = createEmbeddedProvider({
      models: { tiny: await ensureTestModel('tiny') },
      slots: 1,
      contextSize: 1024,
      batchSize: 64,
      ignoreEos: true,
      // A small window keeps the engine close behind the consumer, so "answer now" lands within it.
      creditWindow: 4,
      threads: 1,
    });
    await p.load('tiny');
  });
  after(async () => {
    await p?.[Symbol.asyncDispose]();
  });

  test('a cut-off answer goes on from where it stopped, not as a new turn', async () => {
    const first = await collect(
      p.chat(req({ maxTokens: 10, thinking: { enabled: false } }), { signal: signal(), affinityKey: 'c' }),
    );
    assert.equal(doneOf(first).finishReason, 'length');
    const answer = joined(first, 'text');
    assert.ok(answer.length > 0);
    const u1 = usageOf(first);
    const second = await collect(
      p.chat(req({ maxTokens: 6, messages: [question, { role: 'assistant', content: answer }] }), {
        signal: signal(),
        affinityKey: 'c',
      }),
    );
    assertWellFormed(second);
    assert.equal(doneOf(second).finishReason, 'length');
    const u2 = usageOf(second);
    assert.equal(u2.completionTokens, 6);
    // The prompt is the first prompt plus the answer so far (re-tokenising may merge a token or two):
    // no `<｜Assistant｜><think>` of a new turn. It also shows in the KV reuse: all of the first prompt.
    const grown = u2.promptTokens - u1.promptTokens;
    assert.ok(Math.abs(grown - u1.completionTokens) <= 2, `prompt grew by ${grown}`);
    assert.ok(u2.cachedPromptTokens >= u1.promptTokens, `cached ${u2.cachedPromptTokens}`);
    assert.equal(contentCount(second, 'reasoning'), 0, 'the answer goes on; no new reasoning');
    assert.ok(contentCount(second, 'text') > 0);
  });

  test('an answer cut off while thinking goes on thinking, within the same budget', async () => {
    const first = await collect(p.chat(req({ maxTokens: 8 }), { signal: signal() }));
    const reasoning = joined(first, 'reasoning');
    assert.ok(reasoning.length > 0 && joined(first, 'text') === '');
    const budget = 12;
    const second = await collect(
      p.chat(
        req({
          maxTokens: 20,
          thinking: { enabled: true, budgetTokens: budget },
          messages: [question, { role: 'assistant', content: '', reasoning }],
        }),
        { signal: signal() },
      ),
    );
    assertWellFormed(second);
    assert.equal(second.find((c) => c.type !== 'queued')?.type, 'reasoning', 'still thinking');
    const u = usageOf(second);
    // The 8 earlier reasoning tokens count against the budget, so fewer than 12 new ones fit.
    assert.ok(u.reasoningTokens < budget, `new reasoning tokens ${u.reasoningTokens}`);
    assert.ok(contentCount(second, 'text') > 0, 'the answer after the budget');
  });

  test('answer now: the reasoning closes at once and answer tokens follow', async () => {
    const endThinking = new AbortController();
    const chunks = await collect(
      p.chat(req({ maxTokens: 60 }), { signal: signal(), endThinking: endThinking.signal }),
      (_c, all) => {
        if (contentCount(all, 'reasoning') === 5) endThinking.abort();
      },
    );
    assertWellFormed(chunks);
    assert.equal(doneOf(chunks).finishReason, 'length');
    const firstText = chunks.findIndex((c) => c.type === 'text');
    assert.ok(firstText > 0, 'answer text follows');
    assert.ok(
      chunks.slice(firstText).every((c) => c.type !== 'reasoning'),
      'no reasoning after the answer began',
    );
    const u = usageOf(chunks);
    // Chunks already in flight when the request arrived may still be reasoning: a window, not 60.
    assert.ok(u.reasoningTokens < 30, `reasoning tokens ${u.reasoningTokens}`);
    const reasoningTokens = chunks.reduce((n, c) => n + (c.type === 'reasoning' ? (c.tokens ?? 0) : 0), 0);
    assert.ok(reasoningTokens > 0 && reasoningTokens <= u.reasoningTokens, 'reasoning chunks count tokens');
  });

  test('the model lists its effort budgets and that it can end thinking', async () => {
    const [info] = await p.models();
    // The tiny test model is a few MB: it gets the smallest models' budgets.
    assert.deepEqual(info?.thinkingBudgets, { low: 384, medium: 1024, high: 3072 });
    assert.equal(info?.canEndThinking, true);
  });
});
