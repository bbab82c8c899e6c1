import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { UpstreamConfig } from '../../config/schema.ts';
import { createUpstreamProvider, type UpstreamProviderOptions } from './provider.ts';
import { capturingLogger, collect, config, joined, KEY, last, request } from './provider-test-helpers.ts';
import { chatStream, type ScriptedUpstream, startScriptedUpstream } from './scripted-upstream.ts';

describe('upstream provider', () => {
  let up: ScriptedUpstream;
  const logs = capturingLogger();
  const make = (extra: Partial<UpstreamConfig> = {}, options: UpstreamProviderOptions = {}) =>
    createUpstreamProvider(config(up.baseUrl, { apiKey: KEY, ...extra }), {
      logger: logs.logger,
      ...options,
    });

  before(async () => {
    up = await startScriptedUpstream({ models: ['r1-test', 'other'] });
  });
  after(async () => {
    await up.close();
    // No secret ever reaches the logs.
    assert.ok(!logs.lines.join('').includes(KEY));
  });

  test('streams reasoning_content and content, maps usage, sends a well-formed request', async () => {
    up.enqueue({
      lines: chatStream({
        usage: {
          prompt_tokens: 20,
          completion_tokens: 7,
          prompt_tokens_details: { cached_tokens: 16 },
          completion_tokens_details: { reasoning_tokens: 3 },
        },
      }),
    });
    const p = make();
    const chunks = await collect(
      p.chat(
        {
          ...request,
          messages: [
            { role: 'user', content: 'q1' },
            { role: 'assistant', content: 'a1', reasoning: 'secret thoughts' },
            { role: 'user', content: 'q2' },
          ],
          maxTokens: 99,
          seed: 7,
          stop: ['END'],
        },
        { signal: new AbortController().signal },
      ),
    );
    assert.equal(joined(chunks, 'reasoning'), 'Let me think.');
    assert.equal(joined(chunks, 'text'), 'Hello world');
    assert.deepEqual(chunks.at(-2), {
      type: 'usage',
      promptTokens: 20,
      cachedPromptTokens: 16,
      completionTokens: 7,
      reasoningTokens: 3,
    });
    assert.deepEqual(last(chunks), { type: 'done', finishReason: 'stop' });
    const sent = up.chatRequests.at(-1);
    assert.equal(sent?.headers.authorization, `Bearer ${KEY}`);
    const body = sent?.body as Record<string, unknown>;
    assert.equal(body.stream, true);
    assert.deepEqual(body.stream_options, { include_usage: true });
    assert.equal(body.max_tokens, 99);
    assert.equal(body.seed, 7);
    assert.deepEqual(body.stop, ['END']);
    assert.equal(body.temperature, 0.6);
    assert.equal(body.top_p, 0.95);
    assert.deepEqual(body.messages, [
      { role: 'user', content: 'q1' },
      { role: 'assistant', content: 'a1' },
      { role: 'user', content: 'q2' },
    ]);
    assert.equal(body.chat_template_kwargs, undefined, 'default thinking sends no extra fields');
  });

  test('DeepSeek-style prompt_cache_hit_tokens', async () => {
    up.enqueue({
      lines: chatStream({ usage: { prompt_tokens: 10, completion_tokens: 5, prompt_cache_hit_tokens: 8 } }),
    });
    const chunks = await collect(make().chat(request, { signal: new AbortController().signal }));
    const usage = chunks.find((c) => c.type === 'usage');
    assert.equal(usage?.type === 'usage' && usage.cachedPromptTokens, 8);
  });

  test('thinking off and budgets map to the fields each server understands', async () => {
    up.enqueue({ lines: chatStream() }, { lines: chatStream() });
    const p = make();
    await collect(
      p.chat({ ...request, thinking: { enabled: false } }, { signal: new AbortController().signal }),
    );
    let body = up.chatRequests.at(-1)?.body as Record<string, unknown>;
    assert.deepEqual(body.chat_template_kwargs, { enable_thinking: false, thinking: false });
    assert.equal(body.reasoning_budget_tokens, 1);
    await collect(
      p.chat(
        { ...request, thinking: { enabled: true, effort: 'low' } },
        { signal: new AbortController().signal },
      ),
    );
    body = up.chatRequests.at(-1)?.body as Record<string, unknown>;
    assert.equal(body.reasoning_effort, 'low');
    assert.equal(body.reasoning_budget_tokens, 1024);
    assert.equal(body.chat_template_kwargs, undefined);
  });

  test('a trailing assistant message is continued: prefix completion fields, open think block', async () => {
    up.enqueue({ lines: chatStream() }, { lines: chatStream() });
    const p = make();
    const signal = new AbortController().signal;
    const q = { role: 'user' as const, content: 'q1' };
    await collect(
      p.chat(
        { ...request, messages: [q, { role: 'assistant', content: 'Half an', reasoning: 'r' }] },
        { signal },
      ),
    );
    let body = up.chatRequests.at(-1)?.body as Record<string, unknown>;
    assert.deepEqual(body.messages, [q, { role: 'assistant', content: 'Half an', prefix: true }]);
    assert.equal(body.continue_final_message, true);
    assert.equal(body.add_generation_prompt, false);
    // Cut off while thinking: the reasoning goes back as an open `<think>` block to think on from.
    await collect(
      p.chat(
        { ...request, messages: [q, { role: 'assistant', content: '', reasoning: 'Hmm, so' }] },
        { signal },
      ),
    );
    body = up.chatRequests.at(-1)?.body as Record<string, unknown>;
    assert.deepEqual(body.messages, [q, { role: 'assistant', content: '<think>\nHmm, so', prefix: true }]);
  });

  test('vLLM-style `reasoning` field', async () => {
    up.enqueue({ lines: chatStream({ reasoningField: 'reasoning', reasoning: ['Hmm', '...'] }) });
    const chunks = await collect(make().chat(request, { signal: new AbortController().signal }));
    assert.equal(joined(chunks, 'reasoning'), 'Hmm...');
    assert.equal(joined(chunks, 'text'), 'Hello world');
  });

  test('inline <think> tags in content, split across events and TCP chunks', async () => {
    up.enqueue({
      lines: chatStream({
        reasoning: [],
        content: ['<thi', 'nk>\nPonder', 'ing.\n</', 'think>\n\n', 'Answer.'],
      }),
    });
    const chunks = await collect(make().chat(request, { signal: new AbortController().signal }));
    assert.equal(joined(chunks, 'reasoning'), 'Pondering.');
    assert.equal(joined(chunks, 'text'), 'Answer.');
  });

  test('think-tags format for R1-distill raw output (template opened <think>)', async () => {
    up.enqueue({ lines: chatStream({ reasoning: [], content: ['Ponder', '\n</think>\n\n', 'Answer.'] }) });
    const chunks = await collect(
      make({ reasoningFormat: 'think-tags' }).chat(request, { signal: new AbortController().signal }),
    );
    assert.equal(joined(chunks, 'reasoning'), 'Ponder');
    assert.equal(joined(chunks, 'text'), 'Answer.');
  });

  test('keep-alive comments, empty lines, CRLF and events split mid-line and mid-UTF-8', async () => {
    const event = (delta: object) => `data: ${JSON.stringify({ choices: [{ delta, finish_reason: null }] })}`;
    const bytes = Buffer.from(event({ reasoning_content: 'é💭x' }), 'utf8');
    const cut = bytes.indexOf(Buffer.from('💭', 'utf8')) + 2;
    up.enqueue({
      lines: [
        { line: ': keep-alive', eol: '\r\n' },
        { line: '', eol: '\r\n' },
        { line: ': keep-alive', eol: '\r\n' },
        { line: bytes.subarray(0, cut), eol: '', delayMs: 5 },
        { line: bytes.subarray(cut), eol: '\r', delayMs: 5 },
        { line: '', eol: '\n', delayMs: 5 },
        { line: '', eol: '\r\n' },
        { line: event({ content: 'ok' }), eol: '\r\n\r\n', delayMs: 5 },
        `data: ${JSON.stringify({ choices: [{ delta: {}, finish_reason: 'length' }] })}`,
        '',
        'data: [DONE]',
        '',
      ],
    });
    const chunks = await collect(make().chat(request, { signal: new AbortController().signal }));
    assert.equal(joined(chunks, 'reasoning'), 'é💭x');
    assert.equal(joined(chunks, 'text'), 'ok');
    assert.deepEqual(last(chunks), { type: 'done', finishReason: 'length' });
  });
});
