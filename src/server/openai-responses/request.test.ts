import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HttpError } from '../errors.ts';
import { parseResponseBody } from './request.ts';

let n = 0;
const ids = (prefix: string) => `${prefix}_${++n}`;
const parse = (body: Record<string, unknown>) => parseResponseBody({ model: 'm', input: 'hi', ...body }, ids);
const refused = (body: Record<string, unknown>, param: string) =>
  assert.throws(
    () => parse(body),
    (err: HttpError) => err.status === 400 && err.details?.param === param,
    `${JSON.stringify(body)} → ${param}`,
  );

test('the request in Ponder terms: thinking, sampling, tools, format; the echo', () => {
  const p = parse({
    instructions: 'x',
    reasoning: { effort: 'low', summary: 'auto' },
    max_output_tokens: 50,
    temperature: 0.2,
    top_p: 0.5,
    tools: [{ type: 'function', name: 'f', parameters: { type: 'object' } }],
    tool_choice: { type: 'function', name: 'f' },
    parallel_tool_calls: false,
    text: { format: { type: 'json_schema', name: 's', schema: { type: 'object' }, strict: true } },
    store: false,
    include: ['reasoning.encrypted_content'],
    prompt_cache_key: 'k',
    metadata: { a: 'b' },
    // Off values of what Ponder lacks pass.
    background: false,
    truncation: 'disabled',
    service_tier: 'auto',
    client_metadata: { session_id: 's' },
  });
  assert.deepEqual(p.request, {
    model: 'm',
    thinking: { enabled: true, effort: 'low' },
    maxTokens: 50,
    temperature: 0.2,
    topP: 0.5,
    tools: [{ name: 'f', parameters: { type: 'object' }, strict: true }],
    toolChoice: { name: 'f' },
    parallelToolCalls: false,
    responseFormat: { type: 'json_schema', name: 's', schema: { type: 'object' }, strict: true },
  });
  assert.equal(p.store, false);
  assert.equal(p.summary, true);
  assert.equal(p.includeEncryptedReasoning, true);
  assert.equal(p.promptCacheKey, 'k');
  assert.deepEqual(p.echo.reasoning, { effort: 'low', summary: 'auto' });
  assert.deepEqual(p.input.items, [{ type: 'message', role: 'user', text: 'hi' }]);
  assert.equal(parse({ reasoning: { effort: 'none' } }).request.thinking?.enabled, false);
  assert.equal(parse({ reasoning: { effort: 'minimal' } }).request.thinking?.budgetTokens, 256);
});

test('items: easy messages, developer as system, text parts, calls, outputs, reasoning', () => {
  const p = parse({
    input: [
      { role: 'developer', content: 'dev' },
      {
        type: 'message',
        role: 'user',
        content: [
          { type: 'input_text', text: 'a' },
          { type: 'input_text', text: 'b' },
        ],
      },
      { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'thought' }] },
      { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' },
      { type: 'function_call_output', call_id: 'c1', output: [{ type: 'input_text', text: 'out' }] },
    ],
  });
  assert.deepEqual(p.input.items, [
    { type: 'message', role: 'system', text: 'dev' },
    { type: 'message', role: 'user', text: 'ab' },
    { type: 'reasoning', text: 'thought' },
    { type: 'function_call', callId: 'c1', name: 'f', arguments: '{}' },
    { type: 'function_call_output', callId: 'c1', output: 'out' },
  ]);
  assert.ok(p.input.wire.every((item) => typeof item.id === 'string'));
  assert.equal(p.input.wire[2]?.id, 'rs_1');
});

test('400 naming the parameter', () => {
  refused({ background: true }, 'background');
  refused({ prompt: { id: 'p' } }, 'prompt');
  refused({ max_tool_calls: 3 }, 'max_tool_calls');
  refused({ top_logprobs: 2 }, 'top_logprobs');
  refused({ prompt_cache_retention: '24h' }, 'prompt_cache_retention');
  refused(
    { stream_options: { include_obfuscation: true }, stream: true },
    'stream_options.include_obfuscation',
  );
  refused({ reasoning: { effort: 'huge' } }, 'reasoning.effort');
  refused({ tools: [{ type: 'file_search', vector_store_ids: ['v'] }] }, 'tools[0].type');
  refused({ tools: [{ type: 'function', name: 'f' }, { type: 'web_search' }] }, 'tools[1].type');
  refused(
    { tools: [{ type: 'web_search', user_location: { type: 'approximate', city: 'Lyon' } }] },
    'tools[0].user_location',
  );
  refused({ tools: [{ type: 'web_search', search_context_size: 'huge' }] }, 'tools[0].search_context_size');
  refused({ tool_choice: { type: 'web_search' } }, 'tool_choice');
  refused({ tools: [{ type: 'function', name: 'f', defer_loading: true }] }, 'tools[0].defer_loading');
  refused({ tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [] } }, 'tool_choice');
  refused({ tool_choice: 'required' }, 'tool_choice');
  refused({ text: { format: { type: 'json_schema', name: 's' } } }, 'text.format.schema');
  refused(
    { input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'f' }] }] },
    'input[0].content[0].type',
  );
  refused({ input: [{ role: 'user', content: 'x', phase: 'final' }] }, 'input[0].phase');
  refused({ input: [{ role: 'tool', content: 'x' }] }, 'input[0].role');
  refused({ input: [{ type: 'function_call', name: 'f', arguments: '{}' }] }, 'input[0].call_id');
  refused({ input: 5 }, 'input');
});

test('web_search: offered (auto), forced first (required or named), off (none)', () => {
  const tools = [{ type: 'web_search', search_context_size: 'low' }];
  assert.deepEqual(parse({ tools }).webSearch, { mode: 'auto', count: 3, index: 0, contextSize: 'low' });
  assert.equal(parse({ tools, tool_choice: 'required' }).webSearch?.mode, 'first');
  assert.equal(
    parse({ tools: [{ type: 'web_search_preview' }], tool_choice: { type: 'web_search_preview' } }).webSearch
      ?.mode,
    'first',
  );
  assert.equal(parse({ tools, tool_choice: 'none' }).webSearch, null);
  assert.equal(parse({ tools }).request.tools, undefined);
  assert.equal(parse({ tools, include: ['web_search_call.action.sources'] }).includeSearchSources, true);
});
