import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { splitInlineReasoning, stripHistoricalReasoning } from './history.ts';
import type { ChatMessage } from './types.ts';

const conversation: ChatMessage[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'What is 2+2?' },
  { role: 'assistant', content: '4', reasoning: 'Two plus two is four.' },
  { role: 'user', content: 'And 3+3?' },
];

describe('stripHistoricalReasoning', () => {
  test('removes the reasoning field of earlier assistant turns', () => {
    const out = stripHistoricalReasoning(conversation);
    assert.deepEqual(out, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'What is 2+2?' },
      { role: 'assistant', content: '4' },
      { role: 'user', content: 'And 3+3?' },
    ]);
  });

  test('removes inline <think> blocks from assistant content', () => {
    const out = stripHistoricalReasoning([
      { role: 'user', content: 'q' },
      { role: 'assistant', content: '<think>\nhidden\n</think>\n\nvisible' },
      { role: 'user', content: 'q2' },
    ]);
    assert.deepEqual(out[1], { role: 'assistant', content: 'visible' });
  });

  test('handles R1-distill transcripts holding only </think>', () => {
    const out = stripHistoricalReasoning([{ role: 'assistant', content: 'hidden\n</think>\n\nvisible' }]);
    assert.deepEqual(out, [{ role: 'assistant', content: 'visible' }]);
  });

  test('leaves user text alone, even with tags, and never keeps reasoning on non-assistant turns', () => {
    const out = stripHistoricalReasoning([
      { role: 'user', content: 'what does <think>x</think> mean?', reasoning: 'r' },
    ]);
    assert.deepEqual(out, [{ role: 'user', content: 'what does <think>x</think> mean?' }]);
  });

  test('keepReasoning keeps the field and moves inline reasoning into it', () => {
    const out = stripHistoricalReasoning(
      [...conversation, { role: 'assistant', content: '<think>inline</think>6' }],
      { keepReasoning: true },
    );
    assert.deepEqual(out[2], { role: 'assistant', content: '4', reasoning: 'Two plus two is four.' });
    assert.deepEqual(out[4], { role: 'assistant', content: '6', reasoning: 'inline' });
  });

  test('does not mutate its input', () => {
    const copy = structuredClone(conversation);
    stripHistoricalReasoning(conversation);
    assert.deepEqual(conversation, copy);
  });

  test('content without tags is untouched, including literal "<think>" mentions', () => {
    assert.deepEqual(splitInlineReasoning('use the <think> tag'), {
      reasoning: '',
      text: 'use the <think> tag',
    });
  });
});
