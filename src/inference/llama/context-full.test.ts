/**
 * Generation that runs into the end of the context: with no `maxTokens` the answer may fill what the
 * prompt leaves, and tokens node-llama-cpp spends on its own (a forced call's second pass re-renders the
 * reasoning and opens the call; call syntax is injected, not generated) must be counted too, or it shifts
 * the context and fails with its own message. The stream must end with `length` instead, and a library
 * message must never reach the client.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ensureTestModel } from '../gguf/test-model.ts';
import { assertWellFormed } from '../provider-contract.ts';
import { type ChatRequest, InferenceError, type ToolDefinition } from '../types.ts';
import { createEmbeddedProvider, type EmbeddedProvider } from './index.ts';
import { collect, doneOf, usageOf } from './test-helpers.ts';

const CONTEXT = 1024;

// The grammar makes the arguments longer than what is left of the context: the call runs into its end.
const note: ToolDefinition = {
  name: 'save_note',
  description: 'Save a note for later',
  parameters: {
    type: 'object',
    properties: {
      title: { type: 'string', minLength: 1000 },
      body: { type: 'string', minLength: 1000 },
      summary: { type: 'string', minLength: 1000 },
    },
    required: ['title', 'body', 'summary'],
  },
};
const search: ToolDefinition = {
  name: 'search_notes',
  description: 'Search the saved notes',
  parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
};

describe('embedded engine: an answer that fills the context', () => {
  let p: EmbeddedProvider;
  const signal = () => AbortSignal.timeout(120_000);
  const long = 'Please keep these notes about the trip in mind. '.repeat(18);
  const req = (extra: Partial<ChatRequest>): ChatRequest => ({
    model: 'tiny',
    messages: [{ role: 'user', content: long }],
    tools: [note, search],
    seed: 3,
    ...extra,
  });

  before(async () => {
    p = createEmbeddedProvider({
      models: { tiny: await ensureTestModel('tiny') },
      slots: 1,
      contextSize: CONTEXT,
      batchSize: 128,
      ignoreEos: true,
      threads: 1,
    });
    await p.load('tiny');
  });
  after(async () => {
    await p?.[Symbol.asyncDispose]();
  });

  for (const [label, extra] of [
    [
      'a forced call after a short thought',
      { toolChoice: 'required', thinking: { enabled: true, budgetTokens: 12 } },
    ],
    [
      'a forced call after a long thought',
      { toolChoice: 'required', thinking: { enabled: true, budgetTokens: 150 } },
    ],
    ['a forced call with thinking off', { toolChoice: { name: 'save_note' }, thinking: { enabled: false } }],
    [
      'a free answer with tools offered',
      { toolChoice: 'auto', thinking: { enabled: true, budgetTokens: 40 } },
    ],
  ] satisfies [string, Partial<ChatRequest>][]) {
    test(`${label}, with no maxTokens, ends with length or a call, never a library error`, async () => {
      const chunks = await collect(p.chat(req(extra), { signal: signal() }));
      assertWellFormed(chunks);
      const done = doneOf(chunks);
      assert.equal(done.error, undefined, `unexpected error: ${done.error}`);
      assert.ok(['length', 'tool_calls'].includes(done.finishReason), done.finishReason);
      const u = usageOf(chunks);
      assert.ok(u.promptTokens + u.completionTokens < CONTEXT, `${u.promptTokens} + ${u.completionTokens}`);
      assert.ok(u.completionTokens > 0);
      // A call cut by the context is still counted: the answer used (nearly) all of what was left.
      if (done.finishReason === 'length') assert.ok(u.promptTokens + u.completionTokens > CONTEXT * 0.9);
    });
  }

  test('a prompt that leaves no room is a context_overflow with a clear message', async () => {
    const huge = req({ messages: [{ role: 'user', content: long.repeat(6) }], toolChoice: 'required' });
    await assert.rejects(collect(p.chat(huge, { signal: signal() })), (err: unknown) => {
      assert.ok(err instanceof InferenceError);
      assert.equal(err.code, 'context_overflow');
      assert.match(err.message, /context holds/);
      assert.doesNotMatch(err.message, /context shift strategy/);
      return true;
    });
  });
});
