import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isId, newId } from './ids.ts';

test('ids are well formed and never start with "-" (CLI arguments)', () => {
  for (let i = 0; i < 5000; i++) {
    const id = newId();
    assert.ok(isId(id), id);
    assert.ok(!id.startsWith('-'), id);
  }
});
