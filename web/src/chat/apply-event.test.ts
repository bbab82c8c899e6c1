import { expect, test } from 'vitest';
import type { Message } from '../api/types.ts';
import { applyEvents, reasoningTokensAfter, type StreamTiming } from './apply-event.ts';

const base: Message = {
  id: 'a',
  parentId: 'u',
  role: 'assistant',
  content: '',
  reasoning: '',
  status: 'streaming',
  model: 'm',
  createdAt: '2026-11-29T10:00:00Z',
};

test('reasoning then text then done; the thought time is measured up to the first answer text', () => {
  const timing: StreamTiming = {};
  let m = applyEvents(base, [{ id: 2, type: 'reasoning', data: { text: 'hm' } }], timing, 1000);
  m = applyEvents(m, [{ id: 3, type: 'reasoning', data: { text: 'm' } }], timing, 2000);
  expect(m.reasoning).toBe('hmm');
  m = applyEvents(
    m,
    [
      { id: 4, type: 'text', data: { text: 'Hi' } },
      { id: 5, type: 'done', data: { finishReason: 'stop' } },
    ],
    timing,
    4500,
  );
  expect(m).toMatchObject({ content: 'Hi', status: 'complete', reasoningMs: 3500 });
});

test('cancelled and error finishes', () => {
  expect(
    applyEvents(base, [{ id: 1, type: 'done', data: { finishReason: 'cancelled' } }], {}, 0).status,
  ).toBe('cancelled');
  const failed = applyEvents(
    base,
    [{ id: 1, type: 'done', data: { finishReason: 'error', error: 'boom' } }],
    {},
    0,
  );
  expect(failed).toMatchObject({ status: 'error', error: 'boom' });
});

test('a cut-off answer keeps its finish reason; thinking tokens come from the server, else one per event', () => {
  const m = applyEvents(base, [{ id: 2, type: 'done', data: { finishReason: 'length' } }], {}, 1000);
  expect(m).toMatchObject({ status: 'complete', finishReason: 'length' });
  const counted = reasoningTokensAfter(0, [
    { id: 2, type: 'reasoning', data: { text: 'a', tokens: 5 } },
    { id: 3, type: 'text', data: { text: 'b' } },
  ]);
  expect(counted).toBe(5);
  expect(
    reasoningTokensAfter(2, [
      { id: 4, type: 'reasoning', data: { text: 'c' } },
      { id: 5, type: 'reasoning', data: { text: 'd' } },
    ]),
  ).toBe(4);
});
