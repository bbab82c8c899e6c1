/** `/v1/chat/completions` bodies: nothing a client sends is silently ignored. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpError } from '../errors.ts';
import { parseCompletionBody } from './request.ts';

const base = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
const tool = { type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } };

function paramOf(body: unknown): string | null | undefined {
  try {
    parseCompletionBody(body);
    return undefined;
  } catch (err) {
    assert.ok(err instanceof HttpError, String(err));
    assert.equal(err.status, 400);
    return err.details?.param as string | null;
  }
}

test('every unimplemented parameter with a real value is a 400 naming it', () => {
  const cases: Array<[string, unknown]> = [
    ['functions', [tool.function]],
    ['function_call', 'auto'],
    ['logprobs', true],
    ['top_logprobs', 3],
    ['logit_bias', { '42': 10 }],
    ['frequency_penalty', 0.5],
    ['presence_penalty', -1],
    ['modalities', ['text', 'audio']],
    ['audio', { voice: 'alloy', format: 'mp3' }],
    ['prediction', { type: 'content', content: 'x' }],
    ['store', true],
    ['metadata', { a: 'b' }],
    ['service_tier', 'flex'],
    ['top_k', 0],
    ['made_up_parameter', 1],
  ];
  for (const [key, value] of cases) {
    assert.equal(paramOf({ ...base, [key]: value }), key, `${key}: ${JSON.stringify(value)}`);
  }
  assert.equal(paramOf({ ...base, n: 2 }), 'n');
});

test('the values clients send by default are accepted: they change nothing', () => {
  const defaults = {
    tools: [],
    tool_choice: 'none',
    parallel_tool_calls: true,
    response_format: { type: 'text' },
    logprobs: false,
    top_logprobs: null,
    logit_bias: {},
    frequency_penalty: 0,
    presence_penalty: 0,
    modalities: ['text'],
    store: false,
    metadata: null,
    service_tier: 'auto',
    user: 'end-user-1',
    n: 1,
  };
  assert.equal(paramOf({ ...base, ...defaults }), undefined);
  assert.equal(paramOf({ ...base, tool_choice: 'auto' }), undefined);
});

test('tools, tool_choice, parallel_tool_calls and response_format are read into the request', () => {
  const request = (extra: object) => parseCompletionBody({ ...base, ...extra }).request;
  const withTools = request({
    tools: [{ type: 'function', function: { ...tool.function, description: 'Weather', strict: true } }],
    tool_choice: { type: 'function', function: { name: 'get_weather' } },
    parallel_tool_calls: false,
  });
  assert.deepEqual(withTools.tools, [
    { name: 'get_weather', description: 'Weather', parameters: { type: 'object' }, strict: true },
  ]);
  assert.deepEqual(withTools.toolChoice, { name: 'get_weather' });
  assert.equal(withTools.parallelToolCalls, false);
  assert.equal(request({ tools: [tool], tool_choice: 'required' }).toolChoice, 'required');
  assert.deepEqual(request({ response_format: { type: 'json_object' } }).responseFormat, {
    type: 'json_object',
  });
  const schema = { type: 'object', properties: { a: { type: 'string' } } };
  assert.deepEqual(
    request({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema, strict: true } } })
      .responseFormat,
    { type: 'json_schema', name: 'x', schema, strict: true },
  );
  // Wrong shapes and names that point nowhere are refused by name.
  assert.equal(
    paramOf({ ...base, tools: [tool], tool_choice: { type: 'function', function: { name: 'x' } } }),
    'tool_choice',
  );
  assert.equal(paramOf({ ...base, tool_choice: 'required' }), 'tool_choice');
  assert.equal(paramOf({ ...base, tools: [{ type: 'web', name: 'x' }] }), 'tools[0].type');
  assert.equal(paramOf({ ...base, response_format: { type: 'yaml' } }), 'response_format.type');
  assert.equal(paramOf({ ...base, response_format: { type: 'json_schema' } }), 'response_format.json_schema');
});

test('web_search_options: search first, results read per search_context_size; user_location is a 400', () => {
  assert.deepEqual(parseCompletionBody({ ...base, web_search_options: {} }).searchFirst, { count: 5 });
  assert.deepEqual(
    parseCompletionBody({ ...base, web_search_options: { search_context_size: 'high' } }).searchFirst,
    { count: 8 },
  );
  assert.equal(parseCompletionBody({ ...base, web_search_options: null }).searchFirst, undefined);
  assert.equal(
    paramOf({ ...base, web_search_options: { user_location: { type: 'approximate' } } }),
    'web_search_options.user_location',
  );
});

test('message fields: tool calls and tool results are read; misplaced ones are refused by name', () => {
  const messages = [
    { role: 'user', content: 'weather?' },
    {
      role: 'assistant',
      content: null,
      reasoning_content: 'Look it up.',
      tool_calls: [
        { id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lyon"}' } },
      ],
    },
    { role: 'tool', content: '{"temp":12}', tool_call_id: 'c1' },
  ];
  assert.deepEqual(parseCompletionBody({ ...base, messages, tools: [tool] }).request.messages.slice(1), [
    {
      role: 'assistant',
      content: '',
      reasoning: 'Look it up.',
      toolCalls: [{ id: 'c1', name: 'get_weather', arguments: '{"city":"Lyon"}' }],
    },
    { role: 'tool', content: '{"temp":12}', toolCallId: 'c1' },
  ]);
  assert.equal(paramOf({ ...base, messages: [{ role: 'tool', content: '{}' }] }), 'messages[0].tool_call_id');
  assert.equal(
    paramOf({ ...base, messages: [{ role: 'user', content: 'x', tool_call_id: 'c1' }] }),
    'messages[0].tool_call_id',
  );
  assert.equal(
    paramOf({ ...base, messages: [{ role: 'user', content: 'x', tool_calls: messages[1]?.tool_calls }] }),
    'messages[0].tool_calls',
  );
  const echoed = {
    ...base,
    messages: [
      { role: 'user', content: 'hi', name: 'ann' },
      { role: 'assistant', content: 'hello', refusal: null, tool_calls: [] },
      { role: 'user', content: 'again' },
    ],
  };
  assert.equal(paramOf(echoed), undefined);
  assert.equal(
    paramOf({ ...base, messages: [{ role: 'user', content: 'x', prefix: true }] }),
    'messages[0].prefix',
  );
});

test("vLLM / llama-server thinking controls are read, not ignored (Ponder's upstream client sends them)", () => {
  const thinking = (extra: object) => parseCompletionBody({ ...base, ...extra }).request.thinking;
  assert.deepEqual(thinking({ reasoning_budget_tokens: 64, thinking_token_budget: 64 }), {
    enabled: true,
    budgetTokens: 64,
  });
  assert.deepEqual(thinking({ thinking_token_budget: 32 }), { enabled: true, budgetTokens: 32 });
  assert.deepEqual(thinking({ reasoning_budget_tokens: 0 }), { enabled: false });
  assert.deepEqual(thinking({ chat_template_kwargs: { enable_thinking: false } }), { enabled: false });
  assert.deepEqual(thinking({ chat_template_kwargs: { thinking: false } }), { enabled: false });
  assert.equal(paramOf({ ...base, chat_template_kwargs: { tools_in_prompt: true } }), 'chat_template_kwargs');
});

test('a last assistant message is continued only when asked (continue_final_message or prefix)', () => {
  const partial = [
    { role: 'user', content: 'Count to ten.' },
    { role: 'assistant', content: 'One, two,', reasoning_content: 'Simple.' },
  ];
  const continued = parseCompletionBody({
    ...base,
    messages: partial,
    continue_final_message: true,
    add_generation_prompt: false,
  }).request.messages.at(-1);
  assert.deepEqual(continued, { role: 'assistant', content: 'One, two,', reasoning: 'Simple.' });
  const prefixed = [partial[0], { role: 'assistant', content: 'One, two,', prefix: true }];
  assert.equal(
    parseCompletionBody({ ...base, messages: prefixed }).request.messages.at(-1)?.role,
    'assistant',
  );
  assert.equal(paramOf({ ...base, messages: partial }), 'messages[1].role');
  assert.equal(paramOf({ ...base, continue_final_message: true }), 'continue_final_message');
  assert.equal(paramOf({ ...base, add_generation_prompt: false }), 'add_generation_prompt');
  assert.equal(
    paramOf({ ...base, messages: partial, continue_final_message: true, add_generation_prompt: true }),
    'add_generation_prompt',
  );
  assert.equal(
    paramOf({ ...base, messages: [{ role: 'assistant', content: 'x', prefix: true }, partial[0]] }),
    'messages[0].prefix',
  );
});

// top_k (issue 14: the Messages API takes it, and so does Ponder's upstream client).
test('top_k, the extension vLLM, SGLang and llama-server take, is read', () => {
  const parsed = parseCompletionBody({ ...base, top_k: 40 });
  assert.equal(parsed.request.topK, 40);
});
