import assert from 'node:assert/strict';
import { test } from 'node:test';
import { drawPair } from './pair.ts';
import { seededRandom } from './rating.ts';

test('drawPair: never the same model twice, every ordered pair about equally often', () => {
  const random = seededRandom(7);
  const randomInt = (n: number) => Math.floor(random() * n);
  const counts = new Map<string, number>();
  for (let i = 0; i < 6000; i++) {
    const pair = drawPair(['x', 'y', 'z'], randomInt);
    assert.ok(pair);
    assert.notEqual(pair[0], pair[1]);
    counts.set(pair.join('>'), (counts.get(pair.join('>')) ?? 0) + 1);
  }
  assert.equal(counts.size, 6);
  for (const n of counts.values()) assert.ok(n > 800 && n < 1200, `${n}`);
});

test('drawPair: duplicates count once; fewer than two models is null', () => {
  assert.equal(
    drawPair([], () => 0),
    null,
  );
  assert.equal(
    drawPair(['x'], () => 0),
    null,
  );
  assert.equal(
    drawPair(['x', 'x'], () => 0),
    null,
  );
  assert.deepEqual(
    drawPair(['x', 'x', 'y'], () => 0),
    ['x', 'y'],
  );
});
