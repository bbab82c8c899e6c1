import assert from 'node:assert/strict';
import { test } from 'node:test';
import { consAtK, distanceInSe, majority, meanAndSe, passAt1, type SampleOutcome } from './stats.ts';

const s = (problemId: string, sampleIndex: number, correct: boolean, key: string | null): SampleOutcome => ({
  problemId,
  sampleIndex,
  correct,
  key,
});

test('pass@1 is the mean of per-problem accuracies, SE across problems (hand-computed)', () => {
  // p1: 2/4 = 0.5, p2: 4/4 = 1, p3: 0/4 = 0 → mean 0.5; deviations ±0.5, 0 → s² = 0.5/2 = 0.25, SE = 0.5/√3.
  const samples = [
    ...[true, false, true, false].map((c, i) => s('p1', i, c, c ? '1' : '2')),
    ...[true, true, true, true].map((c, i) => s('p2', i, c, '5')),
    ...[false, false, false, false].map((c, i) => s('p3', i, c, String(i))),
  ];
  const e = passAt1(samples);
  assert.equal(e.mean, 0.5);
  assert.equal(e.problems, 3);
  assert.ok(Math.abs((e.se ?? 0) - 0.5 / Math.sqrt(3)) < 1e-12);
  // cons@4: p1 ties 2–2 between "1" (first at index 0, right) and "2" → "1" wins; p2 right; p3 all
  // different, the earliest ("0") wins and is wrong → 2/3.
  const c = consAtK(samples);
  assert.ok(Math.abs(c.mean - 2 / 3) < 1e-12);
  // outcomes 1,1,0: mean 2/3, s² = ((1/3)²·2 + (2/3)²)/2 = 1/3, SE = √(1/3/3) = 1/3.
  assert.ok(Math.abs((c.se ?? 0) - 1 / 3) < 1e-12);
});

test('uneven samples per problem weigh each problem equally; no SE for one problem', () => {
  const e = passAt1([
    s('a', 0, true, '1'),
    s('b', 0, false, '1'),
    s('b', 1, false, '1'),
    s('b', 2, true, '2'),
  ]);
  assert.ok(Math.abs(e.mean - (1 + 1 / 3) / 2) < 1e-12);
  assert.equal(meanAndSe([1]).se, null);
  assert.deepEqual(meanAndSe([]), { mean: 0, se: null, problems: 0 });
});

test('majority: samples without an answer do not vote; the tie goes to the earliest first vote', () => {
  assert.equal(majority([s('p', 0, false, null), s('p', 1, false, null)]), undefined);
  const m = majority([
    s('p', 3, false, 'x'),
    s('p', 1, true, 'y'),
    s('p', 2, false, 'x'),
    s('p', 0, true, 'y'),
  ]);
  assert.equal(m?.key, 'y');
  const n = majority([s('p', 0, false, 'x'), s('p', 1, true, 'y'), s('p', 2, true, 'y')]);
  assert.equal(n?.key, 'y');
});

test('distance in standard errors', () => {
  assert.equal(distanceInSe(80, 83.9, 1.5), -2.6000000000000036);
  assert.equal(distanceInSe(80, 83.9, null), null);
});
