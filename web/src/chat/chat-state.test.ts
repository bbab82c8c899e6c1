import { expect, test } from 'vitest';
import type { ConversationDetail, Message } from '../api/types.ts';
import { EMPTY, fromDetail, mergeDetail, streamingGeneration } from './chat-state.ts';

const msg = (id: string, over: Partial<Message> = {}): Message => ({
  id,
  parentId: null,
  role: 'user',
  content: id,
  reasoning: '',
  status: 'complete',
  model: null,
  createdAt: '2026-11-29T10:00:00Z',
  ...over,
});
const detail = (messages: Message[], extra: Partial<ConversationDetail> = {}): ConversationDetail => ({
  id: 'c',
  title: 'T',
  createdAt: '',
  updatedAt: '',
  messages,
  ...extra,
});

test('mergeDetail keeps unchanged objects and the structure version when nothing was added', () => {
  const a = msg('a');
  const b = msg('b', { parentId: 'a', role: 'assistant', content: 'hi' });
  const s = { ...EMPTY, ...fromDetail(detail([a, b])) };
  const merged = mergeDetail(s, detail([{ ...a }, { ...b, content: 'hi there' }], { title: 'New' }));
  expect(merged.messages.get('a')).toBe(a);
  expect(merged.messages.get('b')?.content).toBe('hi there');
  expect(merged.structure).toBe(s.structure);
  expect(merged.title).toBe('New');
});

test('mergeDetail never steps a finished message back to streaming, and notices new messages', () => {
  const b = msg('b', { status: 'complete', content: 'done' });
  const s = { ...EMPTY, ...fromDetail(detail([b])) };
  const merged = mergeDetail(s, detail([{ ...b, status: 'streaming', content: 'do' }, msg('c')]));
  expect(merged.messages.get('b')).toBe(s.messages.get('b'));
  expect(merged.structure).toBe(s.structure + 1);
});

test('streamingGeneration finds the generation to reattach after a reload', () => {
  expect(streamingGeneration(detail([], { activeGenerationId: 'g1' }))).toBe('g1');
  expect(streamingGeneration(detail([msg('a', { status: 'streaming', generationId: 'g2' })]))).toBe('g2');
  expect(streamingGeneration(detail([msg('a')]))).toBeUndefined();
});
