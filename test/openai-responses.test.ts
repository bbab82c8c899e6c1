/**
 * The Responses API (`/v1/responses`) with the official `openai` client against a real Ponder on the
 * embedded engine with the generated tiny model: its words are noise, so the tests assert the protocol
 * (items, events and their order, usage, stored chains, ownership, 400s naming the parameter).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI, { type BadRequestError, NotFoundError } from 'openai';
import { zodTextFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { startTestServer, type TestServer } from '../src/server/testing.ts';
import { assertEventOrder, weatherTool } from './openai-responses-helpers.ts';

const Answer = z.object({ city: z.string().max(20), ok: z.boolean() });
/** Short answers keep every request quick on the tiny model. */
const brief = { model: 'tiny', max_output_tokens: 48, reasoning: { effort: 'minimal' } } as const;

describe('Responses API with the openai client (embedded engine)', () => {
  let server: TestServer;
  let client: OpenAI;
  let other: OpenAI;
  let userId: string;
  let ownerKey: string;
  let otherKey: string;

  const keyFor = async (s: TestServer) => {
    const { cookie, user } = await s.signup();
    const res = await s.request('/api/keys', { method: 'POST', cookie, json: { name: 'responses' } });
    return { key: ((await res.json()) as { key: string }).key, user };
  };

  before(async () => {
    server = await startTestServer({ withModel: true });
    const owner = await keyFor(server);
    userId = owner.user.id;
    ownerKey = owner.key;
    const baseURL = `${server.baseUrl}/v1`;
    client = new OpenAI({ baseURL, apiKey: owner.key, maxRetries: 0, timeout: 60_000 });
    otherKey = (await keyFor(server)).key;
    other = new OpenAI({ baseURL, apiKey: otherKey, maxRetries: 0, timeout: 60_000 });
  });
  after(async () => {
    await server?.close();
  });

  test('responses.create: reasoning item with its text, a message, usage; GET returns it', async () => {
    const since = new Date(Date.now() - 1000);
    const response = await client.responses.create({
      ...brief,
      reasoning: { effort: 'low' },
      instructions: 'Answer in one word.',
      input: 'Why is the sky blue?',
      metadata: { run: 'create' },
      temperature: 0.7,
      top_p: 0.9,
    });
    assert.match(response.id, /^resp_/);
    assert.equal(response.object, 'response');
    assert.ok(['completed', 'incomplete'].includes(response.status ?? ''), response.status);
    assert.equal(response.instructions, 'Answer in one word.');
    assert.deepEqual(response.metadata, { run: 'create' });
    assert.equal(response.temperature, 0.7);
    assert.equal(response.top_p, 0.9);
    const reasoning = response.output.find((i) => i.type === 'reasoning');
    assert.ok(reasoning && reasoning.type === 'reasoning', JSON.stringify(response.output));
    assert.match(reasoning.id, /^rs_/);
    assert.ok((reasoning.content?.[0]?.text ?? '').length > 0, 'the reasoning text is in the item');
    assert.equal(reasoning.content?.[0]?.type, 'reasoning_text');
    const usage = response.usage;
    assert.ok(usage && usage.input_tokens > 0 && usage.output_tokens > 0);
    assert.ok(usage.output_tokens <= 48);
    assert.ok(usage.output_tokens_details.reasoning_tokens > 0);
    assert.equal(typeof usage.input_tokens_details.cached_tokens, 'number');
    assert.equal(usage.total_tokens, usage.input_tokens + usage.output_tokens);
    if (response.status === 'incomplete')
      assert.equal(response.incomplete_details?.reason, 'max_output_tokens');
    const again = await client.responses.retrieve(response.id);
    assert.deepEqual(again.output, response.output);
    // The usage ledger counted it, as for chat completions.
    const totals = await server.store.usage.totals(userId, since);
    assert.ok(JSON.stringify(totals).match(/[1-9]/), JSON.stringify(totals));
  });

  test('responses.stream: the semantic events in order, sequence numbers, the final response stored', async () => {
    const stream = client.responses.stream({ ...brief, input: 'Count to three.' });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const final = await stream.finalResponse();
    assertEventOrder(events);
    assert.ok(events.some((e) => e.type === 'response.reasoning_text.delta'));
    const last = events.at(-1);
    assert.ok(last?.type === 'response.completed' || last?.type === 'response.incomplete');
    assert.equal(final.id, last.response.id);
    assert.deepEqual((await client.responses.retrieve(final.id)).output, last.response.output);
  });

  test('reasoning.summary auto: the reasoning streams as the summary variant', async () => {
    const stream = client.responses.stream({
      ...brief,
      reasoning: { effort: 'minimal', summary: 'auto' },
      input: 'Hi',
    });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    assertEventOrder(events);
    assert.ok(events.some((e) => e.type === 'response.reasoning_summary_text.delta'));
    assert.ok(!events.some((e) => e.type === 'response.reasoning_text.delta'));
    const final = await stream.finalResponse();
    const reasoning = final.output.find((i) => i.type === 'reasoning');
    assert.ok(reasoning?.type === 'reasoning' && (reasoning.summary[0]?.text ?? '').length > 0);
  });

  test('a function call round trip: function_call → function_call_output → an answer', async () => {
    const first = await client.responses.create({
      ...brief,
      max_output_tokens: 400,
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'Weather in Lyon?' }] }],
      tools: [weatherTool],
      tool_choice: 'required',
      parallel_tool_calls: false,
    });
    const call = first.output.find((i) => i.type === 'function_call');
    assert.ok(call && call.type === 'function_call', JSON.stringify(first.output));
    assert.equal(call.name, 'get_weather');
    assert.match(call.id ?? '', /^fc_/);
    const args = JSON.parse(call.arguments) as { city: unknown };
    assert.equal(typeof args.city, 'string');
    assert.equal(first.status, 'completed');

    // Stored: the call's output continues the chain.
    const second = await client.responses.create({
      ...brief,
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"forecast":"sunny"}' }],
      tools: [weatherTool],
      tool_choice: 'none',
    });
    assert.equal(second.previous_response_id, first.id);
    assert.ok(second.output.some((i) => i.type === 'message' || i.type === 'reasoning'));
    assert.ok(!second.output.some((i) => i.type === 'function_call'));

    // Stateless: the same turn sent back whole, as Codex does with store: false.
    const stateless = client.responses.stream({
      ...brief,
      store: false,
      input: [
        { role: 'user', content: 'Weather in Lyon?' },
        { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
        { type: 'function_call_output', call_id: call.call_id, output: 'sunny' },
      ],
      tools: [weatherTool],
    });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stateless) events.push(event);
    assertEventOrder(events);
    await assert.rejects(client.responses.retrieve((await stateless.finalResponse()).id), NotFoundError);
  });

  test('a streamed function call: arguments deltas, then .done with the whole arguments', async () => {
    const stream = client.responses.stream({
      ...brief,
      max_output_tokens: 400,
      input: 'Weather?',
      tools: [weatherTool],
      tool_choice: { type: 'function', name: 'get_weather' },
    });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    assertEventOrder(events);
    const done = events.find((e) => e.type === 'response.function_call_arguments.done');
    assert.ok(done && done.type === 'response.function_call_arguments.done');
    const deltas = events.filter((e) => e.type === 'response.function_call_arguments.delta');
    assert.equal(deltas.map((d) => d.delta).join(''), done.arguments);
    assert.equal(done.name, 'get_weather');
    JSON.parse(done.arguments);
  });

  test('text.format json_schema (strict): the answer parses against the schema', async () => {
    const response = await client.responses.parse({
      ...brief,
      max_output_tokens: 200,
      reasoning: { effort: 'none' },
      input: 'A city and whether it is ok.',
      text: { format: zodTextFormat(Answer, 'answer') },
    });
    assert.ok(response.output_parsed, response.output_text);
    Answer.parse(response.output_parsed);
    const json = await client.responses.create({
      ...brief,
      max_output_tokens: 120,
      reasoning: { effort: 'none' },
      input: 'Any JSON object.',
      text: { format: { type: 'json_object' } },
    });
    // json_object bounds no string: on random weights one may run past the cap (as in openai-tools).
    if (json.status === 'completed') assert.equal(typeof JSON.parse(json.output_text), 'object');
    else assert.equal(json.incomplete_details?.reason, 'max_output_tokens');
  });

  test('previous_response_id chains; input_items lists the request; DELETE removes it', async () => {
    const one = await client.responses.create({ ...brief, input: 'My name is Ada.' });
    const two = await client.responses.create({
      ...brief,
      input: 'What is my name?',
      previous_response_id: one.id,
    });
    assert.equal(two.previous_response_id, one.id);
    const items = await client.responses.inputItems.list(two.id);
    assert.equal(items.data.length, 1);
    const item = items.data[0];
    assert.ok(item?.type === 'message' && item.content[0]?.type === 'input_text');
    assert.equal(item.content[0].text, 'What is my name?');
    await client.responses.delete(one.id);
    await assert.rejects(client.responses.retrieve(one.id), NotFoundError);
    await assert.rejects(client.responses.delete(one.id), NotFoundError);
    // A deleted link ends the chain: continuing from it is a 404 naming the parameter.
    await assert.rejects(
      client.responses.create({ ...brief, input: 'again', previous_response_id: one.id }),
      (err: NotFoundError) => err.status === 404 && err.param === 'previous_response_id',
    );
  });

  test('store: false is not stored: GET and previous_response_id are 404', async () => {
    const response = await client.responses.create({ ...brief, input: 'Hello', store: false });
    assert.equal((response as unknown as { store: boolean }).store, false);
    await assert.rejects(client.responses.retrieve(response.id), NotFoundError);
    await assert.rejects(
      client.responses.create({ ...brief, input: 'more', previous_response_id: response.id }),
      NotFoundError,
    );
  });

  test("another user's response is 404 everywhere, and survives", async () => {
    const mine = await client.responses.create({ ...brief, input: 'secret question' });
    await assert.rejects(other.responses.retrieve(mine.id), NotFoundError);
    await assert.rejects(other.responses.inputItems.list(mine.id), NotFoundError);
    await assert.rejects(other.responses.delete(mine.id), NotFoundError);
    await assert.rejects(
      other.responses.create({ ...brief, input: 'x', previous_response_id: mine.id }),
      NotFoundError,
    );
    assert.equal((await client.responses.retrieve(mine.id)).id, mine.id);
  });

  test('encrypted reasoning (store: false) comes back to its owner only', async () => {
    const first = await client.responses.create({
      ...brief,
      store: false,
      include: ['reasoning.encrypted_content'],
      input: 'Think.',
    });
    const reasoning = first.output.find((i) => i.type === 'reasoning');
    assert.ok(reasoning?.type === 'reasoning' && typeof reasoning.encrypted_content === 'string');
    assert.ok(!reasoning.encrypted_content.includes(reasoning.content?.[0]?.text ?? '\u0000'));
    const carried: OpenAI.Responses.ResponseReasoningItem = {
      type: 'reasoning',
      id: reasoning.id,
      summary: [],
      encrypted_content: reasoning.encrypted_content,
    };
    const input: OpenAI.Responses.ResponseInputItem[] = [
      { role: 'user', content: 'Think.' },
      carried,
      { role: 'assistant', content: 'ok' },
      { role: 'user', content: 'Again.' },
    ];
    const second = await client.responses.create({ ...brief, store: false, input });
    assert.ok(['completed', 'incomplete'].includes(second.status ?? ''));
    await assert.rejects(
      other.responses.create({ ...brief, store: false, input }),
      (err: BadRequestError) => err.status === 400 && err.param === 'input[1].encrypted_content',
    );
  });

  test('400 naming the parameter for what Ponder does not do', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ background: true }, 'background'],
      [{ conversation: 'conv_1' }, 'conversation'],
      [{ truncation: 'auto' }, 'truncation'],
      [{ no_such_field: 1 }, 'no_such_field'],
      [{ tools: [{ type: 'file_search', vector_store_ids: ['vs_1'] }] }, 'tools[0].type'],
      [{ tools: [{ type: 'computer_use_preview' }] }, 'tools[0].type'],
      // No search provider on this server.
      [{ tools: [{ type: 'web_search' }] }, 'tools[0].type'],
      [{ include: ['message.output_text.logprobs'] }, 'include[0]'],
      [{ reasoning: { summary: 'concise' } }, 'reasoning.summary'],
      [{ text: { verbosity: 'low' } }, 'text.verbosity'],
      [
        { input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'https://x.test/a.png' }] }] },
        'input[0].content[0].type',
      ],
      [{ input: [{ type: 'item_reference', id: 'msg_1' }] }, 'input[0].type'],
      [{ input: [{ type: 'function_call_output', call_id: 'call_x', output: 'y' }] }, 'input[0].call_id'],
      [{ input: [{ role: 'assistant', content: 'last word' }] }, 'input[0]'],
      [{ tool_choice: { type: 'function', name: 'nope' } }, 'tool_choice'],
      [{ temperature: 3 }, 'temperature'],
      [{ input: 'x', model: undefined }, 'model'],
    ];
    for (const [extra, param] of cases) {
      const body = {
        model: 'tiny',
        input: 'hi',
        ...extra,
      } as OpenAI.Responses.ResponseCreateParamsNonStreaming;
      await assert.rejects(
        client.responses.create(body),
        (err: BadRequestError) => err.status === 400 && err.param === param,
        `${JSON.stringify(extra)} → ${param}`,
      );
    }
    await assert.rejects(
      client.responses.create({ model: 'no-such-model', input: 'hi' }),
      (err: NotFoundError) => err.status === 404 && err.param === 'model',
    );
  });

  test('every /v1/responses route with API keys: anonymous 401, another user 404, hostile bodies 400', async () => {
    const mine = await client.responses.create({ ...brief, input: 'owned' });
    const routes = server.app.ponderRoutes.filter((r) => r.url.startsWith('/v1/responses'));
    assert.ok(routes.length >= 4, JSON.stringify(routes));
    const call = (method: string, url: string, key?: string, json?: unknown) =>
      server.request(url, {
        method,
        headers: key ? { authorization: `Bearer ${key}` } : {},
        ...(json === undefined ? {} : { json }),
      });
    for (const route of routes) {
      const url = route.url.replace(':id', mine.id);
      const json =
        route.method === 'POST' ? { model: 'tiny', input: 'x', previous_response_id: mine.id } : undefined;
      assert.equal(
        (await call(route.method, url, undefined, json)).status,
        401,
        `anonymous ${route.method} ${url}`,
      );
      const res = await call(route.method, url, otherKey, json);
      assert.equal(res.status, 404, `other ${route.method} ${url}`);
      const body = (await res.json()) as { error: { message: string } };
      assert.ok(!JSON.stringify(body).includes('owned'));
      // A key in the URL is refused even when valid, so keys never reach URLs and logs.
      assert.equal((await call(route.method, `${url}?api_key=${ownerKey}`, undefined, json)).status, 401);
    }
    assert.equal((await client.responses.retrieve(mine.id)).id, mine.id);
    const hostile: unknown[] = [
      [],
      'text',
      { model: 'tiny', input: [null] },
      { model: 'tiny', input: [{ role: 'user', content: [null] }] },
      { model: 'tiny', input: [{ role: 'user', content: { nested: { deep: true } } }] },
      { model: 'tiny', input: [{ type: 'function_call', call_id: 7, name: 'f', arguments: '{}' }] },
      { model: 'tiny', input: 'x', tools: 'all' },
      { model: 'tiny', input: 'x', tools: [{ type: 'function' }] },
      {
        model: 'tiny',
        input: 'x',
        metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])),
      },
      { model: 'tiny', input: 'x', previous_response_id: '\u0000' },
      { model: 'tiny', input: 'x', include: 'reasoning.encrypted_content' },
      {
        model: 'tiny',
        input: [
          { type: 'reasoning', summary: [], encrypted_content: 'not-ours' },
          { role: 'user', content: 'x' },
        ],
      },
    ];
    for (const body of hostile) {
      const res = await call('POST', '/v1/responses', ownerKey, body);
      const label = JSON.stringify(body).slice(0, 120);
      assert.ok([400, 404].includes(res.status), `${label} → ${res.status}`);
      const err = (await res.json()) as { error: { type: string } };
      assert.equal(err.error.type, 'invalid_request_error', label);
    }
    assert.equal((await call('GET', '/v1/responses/resp_x?stream=true', ownerKey)).status, 400);
  });
});
