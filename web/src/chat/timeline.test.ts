import { expect, test } from 'vitest';
import type { ToolStep } from '../api/types.ts';
import { translator } from '../i18n/index.ts';
import {
  clampOffset,
  formatToolMs,
  prettyArguments,
  previewLine,
  reasoningSummary,
  splitTimeline,
  truncate,
} from './timeline.ts';

const step = (id: string, reasoningOffset: number, result?: ToolStep['result']): ToolStep => ({
  id,
  name: 'current_time',
  arguments: '{}',
  reasoningOffset,
  at: 0,
  ...(result ? { result } : {}),
});

const shape = (items: ReturnType<typeof splitTimeline>) =>
  items.map((i) => (i.kind === 'reasoning' ? i.text : `[${i.step.id}]`));

test('the reasoning is split at each step offset, with the calls in between', () => {
  const reasoning = 'Need the time. Got it, now the date. Done.';
  const items = splitTimeline(reasoning, [
    step('a', 15, { content: '10:00', isError: false, ms: 12 }),
    step('b', 37),
  ]);
  expect(shape(items)).toEqual(['Need the time. ', '[a]', 'Got it, now the date. ', '[b]', 'Done.']);
  expect(
    items
      .filter((i) => i.kind === 'reasoning')
      .map((i) => i.text)
      .join(''),
  ).toBe(reasoning);
  expect(items.map((i) => i.key)).toEqual(['r0', 'ta', 'r15', 'tb', 'r37']);
});

test('steps without a result are placed like the others; without steps the reasoning is one segment', () => {
  expect(shape(splitTimeline('abc', [step('a', 1)]))).toEqual(['a', '[a]', 'bc']);
  expect(shape(splitTimeline('abc'))).toEqual(['abc']);
  expect(splitTimeline('', [])).toEqual([]);
});

test('offsets beyond the text clamp to its end, negative ones to its start; same offsets keep their order', () => {
  expect(shape(splitTimeline('abc', [step('late', 99)]))).toEqual(['abc', '[late]']);
  expect(shape(splitTimeline('abc', [step('neg', -4)]))).toEqual(['[neg]', 'abc']);
  expect(shape(splitTimeline('', [step('a', 5), step('b', 0)]))).toEqual(['[a]', '[b]']);
  expect(shape(splitTimeline('abcd', [step('x', 2), step('y', 2)]))).toEqual(['ab', '[x]', '[y]', 'cd']);
  // Out of order offsets are put back in reasoning order.
  expect(shape(splitTimeline('abcd', [step('x', 3), step('y', 1)]))).toEqual(['a', '[y]', 'bc', '[x]', 'd']);
  expect(clampOffset('abc', Number.NaN)).toBe(3);
  // Never between the halves of a surrogate pair.
  expect(clampOffset('a😀b', 2)).toBe(3);
});

test('the folded summary counts the tool calls, with plurals per language', () => {
  const en = translator('en');
  expect(reasoningSummary(en, 'en', 12, 0)).toBe('Thought for 12 s');
  expect(reasoningSummary(en, 'en', 12, 1)).toBe('Thought for 12 s · 1 tool call');
  expect(reasoningSummary(en, 'en', 4, 2)).toBe('Thought for 4 s · 2 tool calls');
  expect(reasoningSummary(translator('fr'), 'fr', 4, 2)).toBe("Réflexion pendant 4 s · 2 appels d'outils");
  expect(reasoningSummary(translator('fr'), 'fr', 4, 1)).toBe("Réflexion pendant 4 s · 1 appel d'outil");
  expect(reasoningSummary(translator('zh'), 'zh', 4, 2)).toBe('已思考 4 秒 · 2 次工具调用');
});

test('arguments are indented when they are JSON and shown as given otherwise', () => {
  expect(prettyArguments('{"city":"Lyon","days":[1,2]}')).toBe(
    '{\n  "city": "Lyon",\n  "days": [\n    1,\n    2\n  ]\n}',
  );
  expect(prettyArguments('{not json')).toBe('{not json');
  expect(prettyArguments('<b>hi</b>')).toBe('<b>hi</b>');
  expect(prettyArguments('42')).toBe('42');
});

test('long text is cut by characters and lines; previews are one line', () => {
  expect(truncate('abcdef', 4)).toEqual({ text: 'abcd', omitted: 2 });
  expect(truncate('abc', 4)).toEqual({ text: 'abc', omitted: 0 });
  expect(truncate('1\n2\n3\n4', 100, 2)).toEqual({ text: '1\n2', omitted: 4 });
  expect(truncate('ab😀', 3)).toEqual({ text: 'ab', omitted: 2 });
  expect(previewLine('  a\n\n b  ', 10)).toBe('a b');
  expect(previewLine('x'.repeat(50), 10)).toBe(`${'x'.repeat(10)}…`);
});

test('tool run times', () => {
  expect(formatToolMs(120.4, translator('en'), 'en')).toBe('120 ms');
  expect(formatToolMs(1450, translator('en'), 'en')).toBe('1.5 s');
  expect(formatToolMs(1450, translator('fr'), 'fr')).toBe('1,5 s');
  expect(formatToolMs(12_345, translator('zh'), 'zh')).toBe('12 秒');
});
