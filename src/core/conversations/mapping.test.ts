import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ToolStep } from '../../api/conversations.ts';
import type { MessageRecord } from '../../store/types.ts';
import { toMessage } from './mapping.ts';

const record = (toolSteps: ToolStep[]): MessageRecord => ({
  id: 'm1',
  conversationId: 'c1',
  userId: 'u1',
  parentId: null,
  role: 'assistant',
  content: 'answer',
  reasoning: 'thought',
  toolSteps,
  status: 'complete',
  model: 'tiny',
  error: null,
  reasoningMs: null,
  usage: null,
  finishReason: 'stop',
  generationId: null,
  createdAt: new Date(0),
  updatedAt: new Date(0),
});

test('toMessage: toolSteps when there are some, no key when none', () => {
  const steps: ToolStep[] = [
    { id: 'call_1', name: 'clock', arguments: '{}', reasoningOffset: 3, at: 10 },
    {
      id: 'call_2',
      name: 'web_search',
      arguments: '{"q":"x"}',
      reasoningOffset: 7,
      at: 20,
      result: { content: 'r', isError: false, ms: 4 },
    },
  ];
  assert.deepEqual(toMessage(record(steps)).toolSteps, steps);
  const none = toMessage(record([]));
  assert.equal('toolSteps' in none, false);
  assert.equal(JSON.stringify(none).includes('toolSteps'), false);
});
