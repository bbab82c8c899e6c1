/**
 * Tool calls and structured output on the embedded engine with a random-weight model: its words are
 * noise, so what is asserted is what the grammar guarantees — forced calls and formatted answers always
 * parse and match their schema — and the shape of the stream.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { ensureTestModel } from '../gguf/test-model.ts';
import { assertWellFormed } from '../provider-contract.ts';
import type { ChatChunk, ChatMessage, ChatRequest, ToolDefinition } from '../types.ts';
import { createEmbeddedProvider, type EmbeddedProvider } from './index.ts';
import { collect, contentCount, doneOf, usageOf } from './test-helpers.ts';

const Booking = z.object({
  city: z.string().max(20),
  nights: z.number().int(),
  breakfast: z.boolean(),
  room: z.enum(['single', 'double', 'suite']),
  guests: z.array(z.string().max(12)).max(3),
});
const bookHotel: ToolDefinition = {
  name: 'book_hotel',
  description: 'Book a hotel room',
  parameters: z.toJSONSchema(Booking) as Record<string, unknown>,
};
const getTime: ToolDefinition = {
  name: 'get_time',
  description: 'The current time in a time zone',
  parameters: { type: 'object', properties: { zone: { type: 'string', maxLength: 16 } }, required: ['zone'] },
};
const question: ChatMessage = { role: 'user', content: 'Book me two nights in Lyon.' };

/** The calls a stream carried, put together per index as an API client does. */
function callsOf(chunks: ChatChunk[]): { id: string; name: string; arguments: string }[] {
  const calls: { id: string; name: string; arguments: string }[] = [];
  for (const c of chunks) {
    if (c.type !== 'tool_call') continue;
    const call = calls[c.index] ?? { id: '', name: '', arguments: '' };
    calls[c.index] = call;
    if (c.id) call.id = c.id;
    if (c.name) call.name = c.name;
    call.arguments += c.arguments;
  }
  return calls;
}

describe('embedded engine: tool calls and structured output', () => {
  let p: EmbeddedProvider;
  const signal = () => AbortSignal.timeout(90_000);
  const req = (extra: Partial<ChatRequest>): ChatRequest => ({
    model: 'tiny',
    messages: [question],
    seed: 7,
    maxTokens: 200,
    thinking: { enabled: true, budgetTokens: 6 },
    ...extra,
  });

  before(async () => {
    p = createEmbeddedProvider({
      models: { tiny: await ensureTestModel('tiny') },
      slots: 2,
      contextSize: 2048,
      batchSize: 128,
      threads: 1,
    });
    await p.load('tiny');
  });
  after(async () => {
    await p?.[Symbol.asyncDispose]();
  });

  test('the model lists tool and format support', async () => {
    const [info] = await p.models();
    assert.equal(info?.supportsTools, true);
    assert.equal(info?.supportsResponseFormat, true);
  });

  test('a required call comes after the reasoning, with arguments that match the 5-field schema', async () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const chunks = await collect(
        p.chat(req({ seed, tools: [getTime, bookHotel], toolChoice: 'required' }), { signal: signal() }),
      );
      assertWellFormed(chunks);
      assert.equal(doneOf(chunks).finishReason, 'tool_calls', doneOf(chunks).error);
      const calls = callsOf(chunks);
      assert.equal(calls.length, 1);
      const [call] = calls;
      assert.match(call?.id ?? '', /^call_\w+$/);
      assert.ok(call?.name === 'book_hotel' || call?.name === 'get_time', call?.name);
      const args: unknown = JSON.parse(call?.arguments ?? '');
      if (call?.name === 'book_hotel') Booking.parse(args);
      else z.object({ zone: z.string() }).strict().parse(args);
      const firstCall = chunks.findIndex((c) => c.type === 'tool_call');
      assert.ok(
        chunks.slice(0, firstCall).some((c) => c.type === 'reasoning'),
        'reasoning first',
      );
      assert.equal(contentCount(chunks, 'text'), 0, 'no answer text around a forced call');
    }
  });

  test('a named tool choice calls that tool, also with thinking off', async () => {
    for (const thinking of [{ enabled: true, budgetTokens: 4 }, { enabled: false }]) {
      const chunks = await collect(
        p.chat(req({ thinking, tools: [getTime, bookHotel], toolChoice: { name: 'book_hotel' } }), {
          signal: signal(),
        }),
      );
      assert.equal(doneOf(chunks).finishReason, 'tool_calls', doneOf(chunks).error);
      const [call] = callsOf(chunks);
      assert.equal(call?.name, 'book_hotel');
      Booking.parse(JSON.parse(call?.arguments ?? ''));
      if (!thinking.enabled) assert.equal(contentCount(chunks, 'reasoning'), 0);
    }
  });

  test('tools with toolChoice auto: the model may answer or call; the stream is well formed either way', async () => {
    const chunks = await collect(p.chat(req({ tools: [getTime], maxTokens: 30 }), { signal: signal() }));
    assertWellFormed(chunks);
    const done = doneOf(chunks);
    assert.ok(['stop', 'length', 'tool_calls'].includes(done.finishReason), done.finishReason);
    if (done.finishReason === 'tool_calls')
      z.object({ zone: z.string() }).parse(JSON.parse(callsOf(chunks)[0]?.arguments ?? ''));
  });

  test('a tool result continues the same turn on the slot: only the result is evaluated again', async () => {
    const opts = { signal: signal(), affinityKey: 'tool-round' };
    const first = await collect(p.chat(req({ tools: [getTime], toolChoice: 'required' }), opts));
    const [call] = callsOf(first);
    assert.ok(call);
    const reasoning = first.flatMap((c) => (c.type === 'reasoning' ? [c.text] : [])).join('');
    const messages: ChatMessage[] = [
      question,
      { role: 'assistant', content: '', reasoning, toolCalls: [call] },
      { role: 'tool', toolCallId: call.id, content: '{"time":"10:42"}' },
    ];
    const second = await collect(p.chat(req({ messages, tools: [getTime], maxTokens: 12 }), opts));
    assertWellFormed(second);
    assert.notEqual(doneOf(second).finishReason, 'error');
    const u1 = usageOf(first);
    const u2 = usageOf(second);
    // The prompt, the reasoning and the call stay in the slot's KV: what is new is the result.
    assert.ok(
      u2.cachedPromptTokens >= u1.promptTokens,
      `cached ${u2.cachedPromptTokens} of ${u2.promptTokens}`,
    );
    assert.ok(
      u2.cachedPromptTokens / u2.promptTokens >= 0.8,
      `cached ${u2.cachedPromptTokens} of ${u2.promptTokens}`,
    );
  });

  test('response formats: a json_schema answer validates, a json_object answer is an object', async () => {
    const schema = z.toJSONSchema(Booking) as Record<string, unknown>;
    const formatted = await collect(
      p.chat(req({ responseFormat: { type: 'json_schema', name: 'booking', schema, strict: true } }), {
        signal: signal(),
      }),
    );
    assertWellFormed(formatted);
    assert.equal(doneOf(formatted).finishReason, 'stop');
    assert.ok(contentCount(formatted, 'reasoning') > 0, 'it still reasons first');
    Booking.parse(JSON.parse(formatted.flatMap((c) => (c.type === 'text' ? [c.text] : [])).join('')));

    const object = await collect(
      p.chat(req({ maxTokens: 400, responseFormat: { type: 'json_object' } }), { signal: signal() }),
    );
    const done = doneOf(object).finishReason;
    const text = object.flatMap((c) => (c.type === 'text' ? [c.text] : [])).join('');
    if (done === 'stop') assert.equal(typeof JSON.parse(text), 'object');
    else assert.equal(done, 'length');
  });

  test('bad tool requests are refused before generation, naming what is wrong', async () => {
    const refused = async (extra: Partial<ChatRequest>, pattern: RegExp) =>
      assert.rejects(collect(p.chat(req(extra), { signal: signal() })), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'invalid_request');
        assert.match(err.message, pattern);
        return true;
      });
    await refused({ tools: [{ name: 'has space' }] }, /tools\[0\]\.name/);
    await refused({ tools: [getTime], toolChoice: { name: 'nope' } }, /not in tools/);
    await refused({ tools: [{ name: 'x', parameters: { $ref: 'https://example.com/s.json' } }] }, /\$ref/);
    await refused(
      { messages: [question, { role: 'tool', toolCallId: 'call_x', content: '1' }] },
      /answer a tool call/,
    );
    await refused(
      {
        messages: [
          question,
          { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'get_time', arguments: '{}' }] },
        ],
      },
      /has no result/,
    );
  });
});
