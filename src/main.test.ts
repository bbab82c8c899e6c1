import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const BIN = fileURLToPath(new URL('../bin/ponder.js', import.meta.url));
const run = (args: string[]) =>
  promisify(execFile)(process.execPath, [BIN, ...args]).then(
    (r) => ({ code: 0, ...r }),
    (err: { code: number; stdout: string; stderr: string }) => err,
  );

test('an unknown command is named and exits 2, with or without --help', async () => {
  for (const args of [['nosuch'], ['nosuch', '--help'], ['--config', 'x.json', 'nosuch']]) {
    const r = await run(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, /unknown command 'nosuch'/);
    assert.doesNotMatch(r.stdout, /Usage: ponder/);
  }
});

test('help for a known command still works', async () => {
  const r = await run(['--config', 'x.json', 'models', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Usage: ponder models/);
});
