import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkAnswer, choiceLetter, normalise } from './check.ts';
import { extractAnswer } from './extract.ts';

test('extraction: the last \\boxed{…} with nested braces, then the documented fallbacks', () => {
  const table: Array<[string, string | null, string]> = [
    ['so \\boxed{3} … wait, \\boxed{\\frac{1}{2}}', '\\frac{1}{2}', 'boxed'],
    ['\\boxed{\\sqrt{\\frac{a}{b}}} done', '\\sqrt{\\frac{a}{b}}', 'boxed'],
    ['\\boxed {42}.', '42', 'boxed'],
    ['$\\boxed{\\{1,2\\}}$', '\\{1,2\\}', 'boxed'],
    ['\\fbox{7}', '7', 'fbox'],
    ['The final answer is $12$.', '12', 'answer_is'],
    ['Answer: Wednesday.', 'Wednesday', 'answer_is'],
    ['She has 3 apples, then 1,250 more', '1,250', 'last_number'],
    ['\\boxed{unclosed', null, 'none'],
    ['', null, 'none'],
  ];
  for (const [raw, answer, method] of table) {
    const got = extractAnswer(raw);
    assert.equal(got.answer, answer, raw);
    assert.equal(got.method, method, raw);
  }
});

test('checking: a table of tricky answers, each verdict with its reason', () => {
  const table: Array<[string | null, string, boolean, ('auto' | 'choice' | 'text')?]> = [
    ['42', '42', true],
    ['042', '42', true],
    ['42.0', '42', true],
    ['1,000', '1000', true],
    ['1\\,000', '1000', true],
    ['\\frac{1}{2}', '0.5', true],
    ['\\dfrac{3}{4}', '\\frac34', true],
    ['1/2', '\\tfrac{1}{2}', true],
    ['\\frac{\\sqrt{2}}{2}', '\\frac{1}{\\sqrt2}', true],
    ['2\\sqrt{3}', '\\sqrt{12}', true], // implicit product, evaluated by mathjs
    ['30^\\circ', '30', true],
    ['30^{\\circ}', '30°', true],
    ['\\text{12 km}', '12', true],
    ['12 km', '12', true],
    ['12 kilometres', '12', true],
    ['3.5 hours', '3.5', true],
    ['\\$5.25', '5.25', true],
    ['50\\%', '50', true],
    ['x = 7', '7', true],
    ['\\left( 3, 4 \\right)', '(3,4)', true],
    ['2x+1', '2x + 1', true],
    ['2x', '2', false],
    ['7', '8', false],
    ['−5', '-5', true],
    ['0.333333', '1/3', false],
    ['0.3333333333', '1/3', true],
    [null, '3', false],
    ['Wednesday', 'wednesday', true, 'text'],
    ['2025-03-15', '2025-04-14', false, 'text'],
    ['2025-04-14', '2025-04-14', true, 'text'],
    ['\\text{(B)}', 'B', true, 'choice'],
    ['Option c', 'C', true, 'choice'],
    ['B)', 'B', true, 'choice'],
    ['D', 'B', false, 'choice'],
    ['none', 'B', false, 'choice'],
  ];
  for (const [got, want, correct, kind] of table) {
    const v = checkAnswer(got, want, kind);
    assert.equal(v.correct, correct, `${got} vs ${want}: ${v.reason}`);
    assert.ok(v.reason.length > 0);
  }
  assert.match(checkAnswer('\\frac{1}{2}', '0.5').reason, /numerically equal/);
  assert.match(checkAnswer(null, '1').reason, /no answer/);
  // Equal numbers share one vote key, whatever their spelling.
  assert.equal(checkAnswer('1/2', '3').key, checkAnswer('0.5', '3').key);
  assert.equal(normalise('\\text{Ana}'), 'ana');
  assert.equal(choiceLetter('(e)'), 'E');
});
