/**
 * The hosted `web_search` tool of the Responses API, run by Ponder's own search (a scripted SearXNG —
 * the test is about the gateway — listing real HTML pages served on loopback, read through the real
 * extraction path), with the `openai` client against the embedded engine on the generated model.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type OpenAI from 'openai';
import type { BadRequestError } from 'openai';
import { assertEventOrder, weatherTool } from './openai-responses-helpers.ts';
import { useSearchFixture } from './search-fixture.ts';

describe('Responses API web_search (Ponder runs the search)', () => {
  const search = useSearchFixture((page) => [
    { url: page('/article.html'), title: 'Reasoning models', content: 'about reasoning' },
  ]);

  test('tool_choice required: a web_search_call item with its query and sources, then the answer (streamed)', async () => {
    const before = search.pages.requested.length;
    const stream = search.client.responses.stream({
      model: 'tiny',
      input: 'What are reasoning models?',
      tools: [{ type: 'web_search', search_context_size: 'low' }],
      tool_choice: 'required',
      include: ['web_search_call.action.sources'],
      max_output_tokens: 32,
      reasoning: { effort: 'minimal' },
    });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    assertEventOrder(events);
    const types = events.map((e) => e.type);
    const searching = types.indexOf('response.web_search_call.searching');
    assert.ok(searching > types.indexOf('response.web_search_call.in_progress'), types.join(' '));
    assert.ok(types.indexOf('response.web_search_call.completed') > searching);
    const final = await stream.finalResponse();
    const call = final.output[0];
    assert.ok(call?.type === 'web_search_call', JSON.stringify(final.output));
    assert.equal(call.status, 'completed');
    assert.ok(call.action.type === 'search' && (call.action.query ?? '').length > 0);
    assert.deepEqual(call.action.sources, [{ type: 'url', url: `${search.pages.origin}/article.html` }]);
    assert.ok(final.output.slice(1).some((i) => i.type === 'message' || i.type === 'reasoning'));
    assert.ok(search.pages.requested.length > before, 'the page was read');
    assert.deepEqual(final.tools, [{ type: 'web_search', search_context_size: 'low' }]);
  });

  test('web_search with function tools is a 400 naming it; none runs no search', async () => {
    await assert.rejects(
      search.client.responses.create({
        model: 'tiny',
        input: 'x',
        tools: [weatherTool, { type: 'web_search' }],
      }),
      (err: BadRequestError) => err.status === 400 && err.param === 'tools[1].type',
    );
    const response = await search.client.responses.create({
      model: 'tiny',
      input: 'x',
      tools: [{ type: 'web_search' }],
      tool_choice: 'none',
      max_output_tokens: 16,
      reasoning: { effort: 'none' },
    });
    assert.ok(!response.output.some((i) => i.type === 'web_search_call'));
  });
});
