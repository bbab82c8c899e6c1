import { expect, test } from 'vitest';
import type { Message, MetaEventData } from '../api/types.ts';
import type { ChatError } from './chat-error.ts';
import { EMPTY } from './chat-state.ts';
import {
  withAdmittedTurn,
  withPendingUserMessage,
  withRefusedTurn,
  withStreamEnded,
  withToolDecision,
} from './stream-state.ts';

const meta: MetaEventData = {
  generationId: 'g1',
  conversationId: 'c1',
  userMessageId: 'u1',
  assistantMessageId: 'a1',
  model: 'm',
  thinkingBudget: 256,
  canEndThinking: true,
};

test('the pending user message takes the server’s id when the turn is admitted', () => {
  const pending = withPendingUserMessage(EMPTY, 'temp-1', null, 'hello');
  expect(pending.messages.get('temp-1')?.content).toBe('hello');
  const admitted = withAdmittedTurn(pending, meta, 'temp-1');
  expect(admitted.messages.has('temp-1')).toBe(false);
  expect(admitted.messages.get('u1')).toMatchObject({ id: 'u1', content: 'hello', parentId: null });
  expect(admitted.messages.get('a1')).toMatchObject({ parentId: 'u1', status: 'streaming', content: '' });
  expect(admitted.streamingId).toBe('a1');
  expect(admitted.generationId).toBe('g1');
  expect(admitted.thinking).toEqual({ used: 0, budget: 256, canEnd: true, ending: false });
  expect(admitted.structure).toBe(pending.structure + 1);
});

test('a refused turn drops the pending message; the end of a stream clears what streamed', () => {
  const pending = { ...withPendingUserMessage(EMPTY, 'temp-1', null, 'hi'), busy: true };
  const error: ChatError = { kind: 'quota' };
  const refused = withRefusedTurn(pending, 'temp-1', error);
  expect(refused.messages.size).toBe(0);
  expect(refused).toMatchObject({ busy: false, error });
  const ended = withStreamEnded({ ...withAdmittedTurn(pending, meta, 'temp-1'), busy: true });
  expect(ended).toMatchObject({ busy: false, reconnecting: false });
  expect(ended.generationId).toBeUndefined();
  expect(ended.streamingId).toBeUndefined();
});

test('a tool decision marks only the waiting call, and can be taken back', () => {
  const message = {
    id: 'a1',
    parentId: 'u1',
    role: 'assistant',
    content: '',
    reasoning: '',
    status: 'streaming',
    model: 'm',
    createdAt: '',
    toolSteps: [
      { id: 'c1', name: 'write', arguments: '{}', reasoningOffset: 0, at: 0 },
      {
        id: 'c2',
        name: 'write',
        arguments: '{}',
        reasoningOffset: 0,
        at: 0,
        confirm: { title: 'Write', timeoutMs: 1000, expiresAt: 1 },
      },
    ],
  } as Message;
  const s = { ...EMPTY, messages: new Map([['a1', message]]) };
  expect(withToolDecision(s, 'a1', 'c1', 'run')).toBe(s);
  const run = withToolDecision(s, 'a1', 'c2', 'run');
  expect(run.messages.get('a1')?.toolSteps?.[1]?.confirm?.decision).toBe('run');
  expect(
    withToolDecision(run, 'a1', 'c2', undefined).messages.get('a1')?.toolSteps?.[1]?.confirm?.decision,
  ).toBe(undefined);
});
