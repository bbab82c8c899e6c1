import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { DecryptError, MasterKeyError } from '../errors.ts';
import { indexTokens, queryTokens, snippet, words } from './blind-index.ts';
import { keyVersionOf, newDataKey, UserKeys, unwrapDataKey, wrapDataKey } from './envelope.ts';
import { parseMasterKey, resolveMasterKey } from './master-key.ts';

test('parseMasterKey accepts 64 hex, base64 and base64url of 32 bytes; rejects the rest', () => {
  const key = Buffer.alloc(32, 0xfb);
  assert.deepEqual(parseMasterKey(key.toString('hex')), key);
  assert.deepEqual(parseMasterKey(key.toString('hex').toUpperCase()), key);
  assert.deepEqual(parseMasterKey(key.toString('base64')), key);
  assert.deepEqual(parseMasterKey(key.toString('base64url')), key);
  assert.deepEqual(parseMasterKey(` ${key.toString('hex')}\n`), key);
  for (const bad of [
    '',
    'abc',
    'zz'.repeat(32),
    'ab'.repeat(33),
    Buffer.alloc(31).toString('base64'),
    'passwordpassword',
  ]) {
    assert.throws(() => parseMasterKey(bad), MasterKeyError);
  }
  assert.throws(() => parseMasterKey(new Uint8Array(16)), MasterKeyError);
});

test('resolveMasterKey creates a 0600 key file once and refuses a readable one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ponder-key-'));
  try {
    const first = resolveMasterKey(join(dir, 'data'), undefined);
    assert.equal(first.created, true);
    assert.equal(statSync(first.source).mode & 0o777, 0o600);
    const second = resolveMasterKey(join(dir, 'data'), undefined);
    assert.equal(second.created, false);
    assert.deepEqual(second.key, first.key);
    const loose = join(dir, 'loose');
    resolveMasterKey(loose, undefined);
    chmodSync(join(loose, 'master.key'), 0o640);
    assert.throws(() => resolveMasterKey(loose, undefined), /chmod 600/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fields round-trip any string and fail on any tampering or other context', () => {
  const keys = new UserKeys(newDataKey());
  const ctx = { table: 't', column: 'c', rowId: 'r', userId: 'u' };
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (text) => {
      const sealed = keys.encrypt(ctx, text);
      assert.equal(keys.decrypt(ctx, sealed), Buffer.from(text, 'utf8').toString('utf8'));
    }),
    { numRuns: 200 },
  );
  const sealed = keys.encrypt(ctx, 'hello');
  assert.equal(keyVersionOf(sealed), 1);
  for (let i = 0; i < sealed.length; i++) {
    const bad = Buffer.from(sealed);
    bad[i]! ^= 1;
    assert.throws(() => keys.decrypt(ctx, bad), DecryptError, `byte ${i}`);
  }
  for (const other of [
    { ...ctx, rowId: 'r2' },
    { ...ctx, userId: 'u2' },
    { ...ctx, column: 'x' },
    { ...ctx, table: 'x' },
  ]) {
    assert.throws(() => keys.decrypt(other, sealed), DecryptError);
  }
  assert.throws(() => new UserKeys(newDataKey()).decrypt(ctx, sealed), DecryptError);
  assert.throws(() => keys.decrypt(ctx, Buffer.alloc(3)), DecryptError);
});

test('wrapped data keys are bound to the user and the master key', () => {
  const master = Buffer.alloc(32, 1);
  const dk = newDataKey();
  const wrapped = wrapDataKey(master, 3, 'alice', dk);
  assert.equal(keyVersionOf(wrapped), 3);
  assert.deepEqual(unwrapDataKey(master, 'alice', wrapped), dk);
  assert.throws(() => unwrapDataKey(master, 'bob', wrapped), DecryptError);
  assert.throws(() => unwrapDataKey(Buffer.alloc(32, 2), 'alice', wrapped), DecryptError);
});

test('blind-index tokens: normalised words and bounded prefixes', () => {
  assert.deepEqual(words('Hello, WORLD! ｆｕｌｌ-width 42x'), ['hello', 'world', 'full', 'width', '42x']);
  assert.deepEqual([...indexTokens('Reason')].sort(), ['rea', 'reas', 'reaso', 'reason']);
  assert.deepEqual([...indexTokens('a an')].sort(), ['a', 'an']);
  const long = indexTokens('y'.repeat(10_000));
  assert.ok(long.size <= 24);
  assert.deepEqual(queryTokens('foo FOO bar'), ['foo', 'bar']);
  const keys = new UserKeys(newDataKey());
  assert.notDeepEqual(keys.tokenHash('foo'), new UserKeys(newDataKey()).tokenHash('foo'));
  assert.deepEqual(keys.tokenHash('foo'), keys.tokenHash('foo'));
  const s = snippet(`${'a '.repeat(200)}needle ${'b '.repeat(200)}`, 'needle');
  assert.ok(s.includes('needle'));
  assert.ok(s.length <= 162);
});
