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

const call = {
  id: 'call_1',
  name: 'current_time',
  arguments: '{"tz":"UTC"}',
  reasoningOffset: 5,
  at: 900,
} as const;

test('tool_call then tool_result: the step gets its result attached', () => {
  let m = applyEvents(
    base,
    [
      { id: 2, type: 'reasoning', data: { text: 'Time?' } },
      { id: 3, type: 'tool_call', data: call },
    ],
    {},
    0,
  );
  expect(m.toolSteps).toEqual([call]);
  m = applyEvents(
    m,
    [{ id: 4, type: 'tool_result', data: { id: 'call_1', content: '10:00', isError: false, ms: 3 } }],
    {},
    0,
  );
  expect(m.toolSteps).toEqual([{ ...call, result: { content: '10:00', isError: false, ms: 3 } }]);
  // A result for a call never seen is dropped, not invented.
  const orphan = applyEvents(
    base,
    [{ id: 2, type: 'tool_result', data: { id: 'x', content: '', isError: true, ms: 1 } }],
    {},
    0,
  );
  expect(orphan.toolSteps).toEqual([]);
});

test('replaying the same tool events is idempotent: no duplicates, results and order kept', () => {
  const second = { ...call, id: 'call_2', reasoningOffset: 9, at: 1500 };
  const events = [
    { id: 3, type: 'tool_call', data: call },
    { id: 4, type: 'tool_result', data: { id: 'call_1', content: 'a', isError: false, ms: 3 } },
    { id: 5, type: 'tool_call', data: second },
    { id: 6, type: 'tool_result', data: { id: 'call_2', content: 'oops', isError: true, ms: 7 } },
  ] as const;
  const once = applyEvents(base, events, {}, 0);
  const twice = applyEvents(once, events, {}, 0);
  expect(twice.toolSteps).toEqual(once.toolSteps);
  expect(once.toolSteps?.map((s) => [s.id, s.result?.content])).toEqual([
    ['call_1', 'a'],
    ['call_2', 'oops'],
  ]);
  // Only the calls replayed (a reattach that started over): each keeps its place and its result.
  const calls = applyEvents(once, [events[0], events[2]], {}, 0);
  expect(calls.toolSteps).toEqual(once.toolSteps);
  // A message without tool events has no toolSteps field.
  expect('toolSteps' in applyEvents(base, [{ id: 1, type: 'text', data: { text: 'x' } }], {}, 0)).toBe(false);
});

const confirm = {
  id: 'call_1',
  name: 'mcp_everything_toggle',
  title: 'Toggle',
  arguments: '{}',
  timeoutMs: 300_000,
} as const;
const waitingCall = { ...call, name: 'mcp_everything_toggle', arguments: '{}' };

test('tool_call then tool_confirm: the step waits for the user; tool_result clears it', () => {
  const wall = Date.parse(base.createdAt) + 5_000;
  let m = applyEvents(
    base,
    [
      { id: 2, type: 'reasoning', data: { text: 'Toggle?' } },
      { id: 3, type: 'tool_call', data: waitingCall },
      { id: 4, type: 'tool_confirm', data: confirm },
    ],
    {},
    0,
    wall,
  );
  // The call was made 900 ms after the message began, the event is read 5 s after: the wait ends
  // 300 s after the call, not 300 s after this read.
  const expiresAt = Date.parse(base.createdAt) + 900 + 300_000;
  expect(m.toolSteps).toEqual([
    { ...waitingCall, confirm: { title: 'Toggle', timeoutMs: 300_000, expiresAt } },
  ]);
  expect(m.status).toBe('streaming');

  m = applyEvents(
    m,
    [
      {
        id: 5,
        type: 'tool_result',
        data: { id: 'call_1', content: 'error: the user declined to run this tool', isError: true, ms: 0 },
      },
    ],
    {},
    0,
    wall,
  );
  expect(m.toolSteps).toEqual([
    {
      ...waitingCall,
      result: { content: 'error: the user declined to run this tool', isError: true, ms: 0 },
    },
  ]);
  expect('confirm' in (m.toolSteps?.[0] ?? {})).toBe(false);
});

test('a live tool_confirm waits timeoutMs from now; a clock far off the server falls back to that too', () => {
  const wall = Date.parse(base.createdAt);
  // Read as the call is made (900 ms in; this clock a little behind): timeoutMs from now, never later.
  const live = applyEvents(
    base,
    [
      { id: 3, type: 'tool_call', data: waitingCall },
      { id: 4, type: 'tool_confirm', data: confirm },
    ],
    {},
    0,
    wall + 500,
  );
  expect(live.toolSteps?.[0]?.confirm?.expiresAt).toBe(wall + 500 + 300_000);
  // The client's clock is an hour ahead of the message's date: the estimate would be past, so not used.
  const skewed = applyEvents(
    base,
    [
      { id: 3, type: 'tool_call', data: waitingCall },
      { id: 4, type: 'tool_confirm', data: confirm },
    ],
    {},
    0,
    wall + 3_600_000,
  );
  expect(skewed.toolSteps?.[0]?.confirm?.expiresAt).toBe(wall + 3_600_000 + 300_000);
});

test('replaying the confirmation is idempotent; a replay after the result does not ask again', () => {
  const events = [
    { id: 3, type: 'tool_call', data: waitingCall },
    { id: 4, type: 'tool_confirm', data: confirm },
  ] as const;
  const wall = Date.parse(base.createdAt) + 1_000;
  const once = applyEvents(base, events, {}, 0, wall);
  // A reattach replays the same events later: same step, same deadline, no duplicate.
  const twice = applyEvents(once, events, {}, 0, wall + 20_000);
  expect(twice.toolSteps).toEqual(once.toolSteps);
  // A decision already sent (the buttons disabled) survives the replay.
  const decided: Message = {
    ...once,
    toolSteps: once.toolSteps?.map((s) =>
      s.confirm ? { ...s, confirm: { ...s.confirm, decision: 'run' } } : s,
    ),
  };
  expect(applyEvents(decided, events, {}, 0, wall).toolSteps?.[0]?.confirm?.decision).toBe('run');

  // A reload: the stored step (no confirm) and a replay of the whole stream, result included.
  const result = {
    id: 5,
    type: 'tool_result',
    data: { id: 'call_1', content: 'ok', isError: false, ms: 4 },
  } as const;
  const done = applyEvents(base, [...events, result], {}, 0, wall);
  expect(done.toolSteps).toEqual([{ ...waitingCall, result: { content: 'ok', isError: false, ms: 4 } }]);
  expect(applyEvents(done, [...events, result], {}, 0, wall).toolSteps).toEqual(done.toolSteps);
  // A replay of the confirmation alone after the result (events out of order) asks nothing.
  expect(applyEvents(done, [events[1]], {}, 0, wall).toolSteps).toEqual(done.toolSteps);
  // A stop ends the generation: nothing waits any more.
  const stopped = applyEvents(
    once,
    [{ id: 6, type: 'done', data: { finishReason: 'cancelled' } }],
    {},
    0,
    wall,
  );
  expect(stopped.toolSteps).toEqual([waitingCall]);
});
