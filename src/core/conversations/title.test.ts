import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeTitle } from './title.ts';

test('short messages become the title as they are, whitespace collapsed', () => {
  assert.equal(makeTitle('  What is\n\n a monad?  '), 'What is a monad?');
  assert.equal(makeTitle('   '), 'Untitled');
});

test('long messages are cut on a word boundary near 60 characters', () => {
  const title = makeTitle(
    'Explain the difference between optimistic and pessimistic locking in relational databases please',
  );
  assert.ok(title.endsWith('…'));
  assert.ok([...title].length <= 61);
  assert.ok(!title.slice(0, -1).endsWith(' '));
  assert.ok(
    'Explain the difference between optimistic and pessimistic locking'.startsWith(title.slice(0, -1)),
  );
});

test('a single long word is cut mid-word; emoji are not split', () => {
  const title = makeTitle('😀'.repeat(100));
  assert.equal([...title].length, 61);
  assert.ok(title.startsWith('😀'));
});
