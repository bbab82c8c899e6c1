import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createDeltaNormaliser } from '../reasoning-normaliser.ts';
import type { ChatChunk } from '../types.ts';
import { createUpstreamProvider } from './provider.ts';
import { startScriptedUpstream } from './scripted-upstream.ts';
import { StreamDecoder } from './stream-decoder.ts';
import { buildChatBody } from './wire.ts';

const sse = (delta: Record<string, unknown>, finish: string | null = null): string =>
  `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

function decode(lines: string[]): ChatChunk[] {
  const d = new StreamDecoder(createDeltaNormaliser(), 'upstream "t"', []);
  const out: ChatChunk[] = [];
  for (const l of lines) out.push(...d.push(new TextEncoder().encode(l)));
  out.push(...d.end());
  return out;
}

/** vLLM's tool parser: id and name first (no arguments), then argument fragments; reasoning before. */
const vllmStream = [
  sse({ role: 'assistant', content: '' }),
  sse({ reasoning: 'Need the weather.' }),
  sse({
    tool_calls: [{ index: 0, id: 'chatcmpl-tool-1', type: 'function', function: { name: 'get_weather' } }],
  }),
  sse({ tool_calls: [{ index: 0, function: { arguments: '{"city": ' } }] }),
  sse({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
  sse({
    tool_calls: [{ index: 1, id: 'chatcmpl-tool-2', type: 'function', function: { name: 'get_time' } }],
  }),
  sse({ tool_calls: [{ index: 1, function: { arguments: '{}' } }] }),
  sse({}, 'tool_calls'),
  'data: [DONE]\n\n',
];

/** DeepSeek's API: reasoning_content, then a call whose first delta has `arguments: ""`. */
const deepseekStream = [
  sse({ role: 'assistant', content: null, reasoning_content: 'Think' }),
  sse({ content: null, reasoning_content: ' more.' }),
  sse({
    content: null,
    tool_calls: [
      { index: 0, id: 'call_0_abc', type: 'function', function: { name: 'get_weather', arguments: '' } },
    ],
  }),
  sse({ content: null, tool_calls: [{ index: 0, function: { arguments: '{"city":"Paris"}' } }] }),
  sse({ content: '' }, 'tool_calls'),
  'data: [DONE]\n\n',
];

function calls(chunks: ChatChunk[]): Array<{ id: string; name: string; arguments: string }> {
  const out: Array<{ id: string; name: string; arguments: string }> = [];
  for (const c of chunks) {
    if (c.type !== 'tool_call') continue;
    if (c.id !== undefined && c.name !== undefined) out[c.index] = { id: c.id, name: c.name, arguments: '' };
    const call = out[c.index];
    assert.ok(call, `a call's first chunk names it (index ${c.index})`);
    call.arguments += c.arguments;
  }
  return out;
}

describe('upstream tool-call streams', () => {
  test('vLLM-style: reasoning, two calls by index, finish tool_calls', () => {
    const chunks = decode(vllmStream);
    assert.deepEqual(chunks[0], { type: 'reasoning', text: 'Need the weather.' });
    assert.deepEqual(calls(chunks), [
      { id: 'chatcmpl-tool-1', name: 'get_weather', arguments: '{"city": "Paris"}' },
      { id: 'chatcmpl-tool-2', name: 'get_time', arguments: '{}' },
    ]);
    const firstCall = chunks.findIndex((c) => c.type === 'tool_call');
    assert.ok(!chunks.slice(firstCall).some((c) => c.type === 'reasoning'), 'no reasoning after a call');
    assert.deepEqual(chunks.at(-1), { type: 'done', finishReason: 'tool_calls' });
  });

  test('DeepSeek-style: reasoning_content, empty first arguments, finish tool_calls', () => {
    const chunks = decode(deepseekStream);
    assert.equal(
      chunks
        .filter((c) => c.type === 'reasoning')
        .map((c) => (c.type === 'reasoning' ? c.text : ''))
        .join(''),
      'Think more.',
    );
    assert.deepEqual(calls(chunks), [
      { id: 'call_0_abc', name: 'get_weather', arguments: '{"city":"Paris"}' },
    ]);
    assert.deepEqual(chunks.at(-1), { type: 'done', finishReason: 'tool_calls' });
  });

  test('Ollama-style: whole calls without index, object arguments, finish stop becomes tool_calls', () => {
    const chunks = decode([
      sse({
        role: 'assistant',
        content: '',
        tool_calls: [
          { id: 'call_a', function: { name: 'a', arguments: { x: 1 } } },
          { function: { name: 'b', arguments: '{"y":2}' } },
        ],
      }),
      sse({}, 'stop'),
      'data: [DONE]\n\n',
    ]);
    const got = calls(chunks);
    assert.deepEqual(got[0], { id: 'call_a', name: 'a', arguments: '{"x":1}' });
    assert.equal(got[1]?.name, 'b');
    assert.match(got[1]?.id ?? '', /^call_/, 'an id is made up when the server sent none');
    assert.deepEqual(chunks.at(-1), { type: 'done', finishReason: 'tool_calls' });
  });

  test('buildChatBody sends tools, tool_choice, parallel_tool_calls, response_format and tool history', () => {
    const body = buildChatBody(
      {
        model: 'm',
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          {
            role: 'assistant',
            content: '',
            reasoning: 'Need the weather.',
            toolCalls: [{ id: 'c1', name: 'get_weather', arguments: '{"city":"Paris"}' }],
          },
          { role: 'tool', content: '{"temp":21}', toolCallId: 'c1' },
        ],
        tools: [
          { name: 'get_weather', description: 'Weather', parameters: { type: 'object' }, strict: true },
        ],
        toolChoice: { name: 'get_weather' },
        parallelToolCalls: false,
        responseFormat: { type: 'json_schema', name: 'w', schema: { type: 'object' }, strict: true },
      },
      false,
    );
    assert.deepEqual(body.tools, [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Weather',
          parameters: { type: 'object' },
          strict: true,
        },
      },
    ]);
    assert.deepEqual(body.tool_choice, { type: 'function', function: { name: 'get_weather' } });
    assert.equal(body.parallel_tool_calls, false);
    assert.deepEqual(body.response_format, {
      type: 'json_schema',
      json_schema: { name: 'w', schema: { type: 'object' }, strict: true },
    });
    assert.deepEqual((body.messages as unknown[]).slice(1), [
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        ],
        // Kept on a tool-call turn (history policy), as DeepSeek's API wants it back.
        reasoning_content: 'Need the weather.',
      },
      { role: 'tool', content: '{"temp":21}', tool_call_id: 'c1' },
    ]);
  });

  test('a plain request sends no tool fields', () => {
    const body = buildChatBody({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }, false);
    for (const key of ['tools', 'tool_choice', 'parallel_tool_calls', 'response_format']) {
      assert.equal(key in body, false, key);
    }
  });

  test('through HTTP: the upstream provider streams a scripted vLLM tool-call answer', async () => {
    await using server = await startScriptedUpstream({ models: ['m'] });
    server.enqueue({ lines: vllmStream.map((l) => l.trimEnd()).flatMap((l) => [l, '']) });
    const provider = createUpstreamProvider({ id: 'u', baseUrl: server.baseUrl, reasoningFormat: 'auto' });
    const chunks: ChatChunk[] = [];
    for await (const c of provider.chat(
      { model: 'm', messages: [{ role: 'user', content: 'q' }], tools: [{ name: 'get_weather' }] },
      { signal: AbortSignal.timeout(10_000) },
    )) {
      chunks.push(c);
    }
    await provider[Symbol.asyncDispose]();
    assert.equal(calls(chunks).length, 2);
    assert.deepEqual(chunks.at(-1), { type: 'done', finishReason: 'tool_calls' });
    const sent = server.chatRequests[0]?.body as { tools?: unknown };
    assert.deepEqual(sent.tools, [{ type: 'function', function: { name: 'get_weather' } }]);
    const models = await provider.models();
    assert.equal(models[0]?.supportsTools, true);
  });
});
