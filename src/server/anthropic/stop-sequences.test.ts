import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StopSequenceScanner } from './stop-sequences.ts';

/** Feeds `pieces` and returns what went out, and the match. */
function run(sequences: string[], pieces: string[]): { out: string; matched: string | null } {
  const scanner = new StopSequenceScanner(sequences);
  let out = '';
  for (const p of pieces) out += scanner.push(p);
  out += scanner.flush();
  return { out, matched: scanner.matched };
}

test('no stop sequences: text passes through as it comes', () => {
  const scanner = new StopSequenceScanner([]);
  assert.equal(scanner.push('abc'), 'abc');
  assert.equal(scanner.flush(), '');
});

test('a stop sequence split across pieces at every position is found and never sent', () => {
  const text = 'Hello END world';
  for (let i = 1; i < text.length; i++) {
    for (let j = i + 1; j <= text.length; j++) {
      const r = run(['END'], [text.slice(0, i), text.slice(i, j), text.slice(j)]);
      assert.deepEqual(r, { out: 'Hello ', matched: 'END' }, `split at ${i},${j}`);
    }
  }
});

test('a held-back partial match that does not complete is sent at the end', () => {
  assert.deepEqual(run(['STOP'], ['abc ST', 'O']), { out: 'abc STO', matched: null });
  assert.deepEqual(run(['STOP'], ['abc ST', 'x']), { out: 'abc STx', matched: null });
});

test('the earliest of several sequences wins; at the same place the longer one', () => {
  assert.deepEqual(run(['b', 'a'], ['xxab']), { out: 'xx', matched: 'a' });
  assert.deepEqual(run(['ab', 'abc'], ['xxabcd']), { out: 'xx', matched: 'abc' });
});

test('after a match nothing more goes out', () => {
  const scanner = new StopSequenceScanner(['#']);
  assert.equal(scanner.push('a#b'), 'a');
  assert.equal(scanner.push('more'), '');
  assert.equal(scanner.flush(), '');
});
