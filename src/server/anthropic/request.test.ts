import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpError } from '../errors.ts';
import { parseCountTokensBody, parseMessagesBody } from './request.ts';

const V = '2023-06-01';
const base = { model: 'm', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] };

function refuses(body: unknown, pattern: RegExp, version = V): void {
  assert.throws(
    () => parseMessagesBody(body, version),
    (err: unknown) => err instanceof HttpError && err.status === 400 && pattern.test(err.message),
  );
}

test('system (string or blocks), sampling and stop sequences map to the ChatRequest', () => {
  const p = parseMessagesBody(
    {
      ...base,
      system: [
        { type: 'text', text: 'A', cache_control: { type: 'ephemeral' } },
        { type: 'text', text: 'B' },
      ],
      temperature: 0.3,
      top_p: 0.8,
      top_k: 5,
      stop_sequences: ['##'],
      stream: true,
      metadata: { user_id: 'u' },
    },
    V,
  );
  assert.deepEqual(p.request.messages[0], { role: 'system', content: 'A\nB' });
  assert.equal(p.request.temperature, 0.3);
  assert.equal(p.request.topP, 0.8);
  assert.equal(p.request.topK, 5);
  assert.equal(p.request.maxTokens, 100);
  assert.equal(p.request.stop, undefined, 'stop sequences are applied by the server, not the provider');
  assert.deepEqual(p.stopSequences, ['##']);
  assert.equal(p.stream, true);
});

test('thinking: none unless asked; enabled with its budget; adaptive at an effort; display omitted', () => {
  assert.deepEqual(parseMessagesBody(base, V).request.thinking, { enabled: false });
  const on = parseMessagesBody({ ...base, thinking: { type: 'enabled', budget_tokens: 50 } }, V);
  assert.deepEqual(on.request.thinking, { enabled: true, budgetTokens: 50 });
  const adaptive = parseMessagesBody(
    { ...base, thinking: { type: 'adaptive', display: 'omitted' }, output_config: { effort: 'xhigh' } },
    V,
  );
  assert.deepEqual(adaptive.request.thinking, { enabled: true, effort: 'high' });
  assert.equal(adaptive.omitThinking, true);
  refuses(
    { ...base, thinking: { type: 'enabled', budget_tokens: 100 } },
    /budget_tokens: must be less than max_tokens/,
  );
});

test('a tool round trip: tool_use with its thinking, tool_result (errors marked) before the user text', () => {
  const p = parseMessagesBody(
    {
      ...base,
      messages: [
        { role: 'user', content: 'weather?' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'I should call', signature: 'sig' },
            { type: 'tool_use', id: 't1', name: 'w', input: { city: 'Lyon' } },
            { type: 'tool_use', id: 't2', name: 'w', input: { city: 'Nice' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 't1', content: 'sunny' },
            {
              type: 'tool_result',
              tool_use_id: 't2',
              content: [{ type: 'text', text: 'down' }],
              is_error: true,
            },
            { type: 'text', text: 'and?' },
          ],
        },
      ],
      tools: [{ name: 'w', input_schema: { type: 'object' } }],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
    },
    V,
  );
  assert.deepEqual(p.request.messages.slice(1), [
    {
      role: 'assistant',
      content: '',
      reasoning: 'I should call',
      toolCalls: [
        { id: 't1', name: 'w', arguments: '{"city":"Lyon"}' },
        { id: 't2', name: 'w', arguments: '{"city":"Nice"}' },
      ],
    },
    { role: 'tool', toolCallId: 't1', content: 'sunny' },
    { role: 'tool', toolCallId: 't2', content: 'Error: down' },
    { role: 'user', content: 'and?' },
  ]);
  assert.equal(p.request.toolChoice, 'required');
  assert.equal(p.request.parallelToolCalls, false);
  assert.deepEqual(p.request.tools, [{ name: 'w', parameters: { type: 'object' } }]);
});

test('tool_use and tool_result must pair up, as Anthropic checks', () => {
  const call = { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'w', input: {} }] };
  refuses(
    {
      ...base,
      messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'x', content: 'r' }] }],
    },
    /unexpected tool_use_id 'x'/,
  );
  refuses(
    { ...base, messages: [{ role: 'user', content: 'q' }, call, { role: 'user', content: 'no result' }] },
    /without tool_result/,
  );
  refuses(
    { ...base, tool_choice: { type: 'tool', name: 'nope' }, tools: [{ name: 'w', input_schema: {} }] },
    /nope/,
  );
});

test('unsupported features answer 400 naming them', () => {
  refuses({ ...base, top_k: 0 }, /^top_k: /);
  refuses({ ...base, container: 'c' }, /^container: /);
  refuses({ ...base, mcp_servers: [{ type: 'url' }] }, /^mcp_servers: /);
  refuses({ ...base, tools: [{ type: 'web_search_20250305', name: 'web_search' }] }, /web_search_20250305/);
  refuses({ ...base, messages: [{ role: 'user', content: [{ type: 'document', source: {} }] }] }, /document/);
  refuses(
    { ...base, messages: [{ role: 'assistant', content: [{ type: 'redacted_thinking', data: 'x' }] }] },
    /redacted_thinking/,
  );
  refuses(
    { ...base, context_management: { edits: [{ type: 'clear_tool_uses_20250919' }] } },
    /clear_tool_uses_20250919/,
  );
  refuses({ ...base, unknown_field: 1 }, /^unknown_field: Extra inputs/);
  refuses(
    { ...base, messages: [{ role: 'user', content: [{ type: 'text', text: 'x', citations: [{}] }] }] },
    /citations/,
  );
  const { max_tokens: _, ...noMax } = base;
  refuses(noMax, /^max_tokens: Field required/);
  refuses({ ...base, temperature: 0.5 }, /^temperature: Extra inputs are not permitted/, '2026-10-21');
});

test('Claude Code shapes: system messages between turns, deferred tools, clear_thinking', () => {
  const p = parseMessagesBody(
    {
      ...base,
      messages: [
        { role: 'user', content: 'a' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'old', signature: 's' },
            { type: 'tool_use', id: 't', name: 'w', input: {} },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: 'r' }] },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'new', signature: 's' },
            { type: 'tool_use', id: 'u', name: 'w', input: {} },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'u', content: 'r' }] },
        { role: 'system', content: [{ type: 'text', text: 'env', cache_control: { type: 'ephemeral' } }] },
      ],
      tools: [
        { name: 'Placeholder', input_schema: { type: 'object' }, defer_loading: true },
        { name: 'w', input_schema: { type: 'object' } },
      ],
      context_management: {
        edits: [{ type: 'clear_thinking_20251015', keep: { type: 'thinking_turns', value: 1 } }],
      },
    },
    V,
  );
  assert.deepEqual(p.request.messages.at(-1), { role: 'system', content: 'env' });
  assert.deepEqual(
    p.request.messages.filter((m) => m.reasoning !== undefined).map((m) => m.reasoning),
    ['new'],
  );
  assert.deepEqual(
    p.request.tools?.map((t) => t.name),
    ['w'],
  );
});

test('count_tokens takes the prompt fields only', () => {
  const req = parseCountTokensBody({ model: 'm', messages: [{ role: 'user', content: 'x' }], system: 's' });
  assert.equal(req.messages.length, 2);
  assert.throws(() => parseCountTokensBody({ ...base }), /max_tokens: Extra inputs/);
});
