import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ResponseInputError, type ResponseItem, toChatMessages } from './items.ts';

const user = (text: string): ResponseItem => ({ type: 'message', role: 'user', text });

test('instructions, then consecutive reasoning, text and calls as one assistant turn, outputs as tool messages', () => {
  const messages = toChatMessages('Be brief.', [
    user('weather?'),
    { type: 'reasoning', text: 'I should call' },
    { type: 'function_call', callId: 'call_1', name: 'get_weather', arguments: '{"city":"Lyon"}' },
    { type: 'function_call_output', callId: 'call_1', output: 'sunny' },
    { type: 'reasoning', text: 'dropped by the history policy' },
    { type: 'message', role: 'assistant', text: 'It is sunny.' },
    { type: 'message', role: 'system', text: 'developer note' },
    user('thanks'),
  ]);
  assert.deepEqual(messages, [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'weather?' },
    {
      role: 'assistant',
      content: '',
      reasoning: 'I should call',
      toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Lyon"}' }],
    },
    { role: 'tool', toolCallId: 'call_1', content: 'sunny' },
    { role: 'assistant', content: 'It is sunny.' },
    { role: 'system', content: 'developer note' },
    { role: 'user', content: 'thanks' },
  ]);
});

test('errors name the request item, or previous_response_id for the stored chain', () => {
  const orphan = (): ResponseItem[] => [{ type: 'function_call_output', callId: 'call_x', output: 'y' }];
  assert.throws(
    () => toChatMessages(null, [user('a'), ...orphan()], 1),
    (err: ResponseInputError) => err.param === 'input[0].call_id',
  );
  assert.throws(
    () => toChatMessages(null, [user('a'), ...orphan(), user('b')], 2),
    (err: ResponseInputError) => err.param === 'previous_response_id.call_id',
  );
  assert.throws(
    () => toChatMessages(null, [user('a'), { type: 'message', role: 'assistant', text: 'b' }]),
    (err: ResponseInputError) => err.param === 'input[1]',
  );
  assert.throws(
    () => toChatMessages('only instructions', []),
    (err: ResponseInputError) => err.param === 'input',
  );
  const call: ResponseItem = { type: 'function_call', callId: 'c', name: 'f', arguments: '{}' };
  assert.throws(
    () => toChatMessages(null, [user('a'), call, call]),
    (err: ResponseInputError) => err.param === 'input[2].call_id',
  );
});
