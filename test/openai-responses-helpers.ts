/** Shared by the Responses API tests: a function tool, and the check of a stream's event order. */
import assert from 'node:assert/strict';
import type OpenAI from 'openai';

export const weatherTool: OpenAI.Responses.FunctionTool = {
  type: 'function',
  name: 'get_weather',
  description: 'The forecast for a city',
  strict: true,
  parameters: {
    type: 'object',
    properties: { city: { type: 'string', maxLength: 20 }, days: { type: 'integer' } },
    required: ['city', 'days'],
    additionalProperties: false,
  },
};

const TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/**
 * The documented order: `response.created`, `response.in_progress`, then per output item (indexes
 * 0, 1, … in turn) `output_item.added` → its parts and deltas → `….done` → `output_item.done`, and
 * exactly one terminal event, last; `sequence_number` counts every event from 0.
 */
export function assertEventOrder(events: readonly OpenAI.Responses.ResponseStreamEvent[]): void {
  const types = events.map((e) => e.type);
  assert.equal(types[0], 'response.created', types.join(' '));
  assert.equal(types[1], 'response.in_progress');
  for (const [i, e] of events.entries()) assert.equal(e.sequence_number, i, `sequence_number of ${e.type}`);
  assert.equal(types.filter((t) => TERMINAL.has(t)).length, 1, types.join(' '));
  assert.ok(TERMINAL.has(types.at(-1) ?? ''), types.join(' '));
  const added = new Set<number>();
  const closed = new Set<number>();
  const parts = new Map<number, 'open' | 'done'>();
  for (const e of events) {
    if (!('output_index' in e)) continue;
    const index = e.output_index;
    if (e.type === 'response.output_item.added') {
      assert.equal(index, added.size, 'items are added in order');
      assert.ok(closed.size === added.size, 'the previous item is done before the next is added');
      added.add(index);
      continue;
    }
    assert.ok(added.has(index) && !closed.has(index), `${e.type} for an open item`);
    if (e.type === 'response.content_part.added' || e.type === 'response.reasoning_summary_part.added')
      parts.set(index, 'open');
    else if (e.type === 'response.content_part.done' || e.type === 'response.reasoning_summary_part.done')
      parts.set(index, 'done');
    else if (e.type === 'response.output_item.done') {
      assert.notEqual(parts.get(index), 'open', 'the part is done before its item');
      closed.add(index);
    } else if (/\.(delta|done)$/.test(e.type) && !e.type.startsWith('response.function_call_arguments'))
      assert.equal(parts.get(index), 'open', `${e.type} inside an open part`);
  }
  assert.equal(closed.size, added.size, 'every item is done');
  const last = events.at(-1);
  if (last && 'response' in last) assert.equal(last.response.output.length, added.size);
}
