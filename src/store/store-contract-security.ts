/**
 * Contract tests for what protects users from each other and from a stolen database: ownership
 * isolation, cascade delete, encryption at rest, AAD binding, search isolation, key handling, and
 * hostile input. Run by `runStoreContract` (store-contract.ts).
 */
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { unwrapDataKey } from './crypto/envelope.ts';
import { DecryptError, MasterKeyError, StoreValidationError } from './errors.ts';
import { rotateKeyFile } from './key-rotation.ts';
import { type ContractEnv, newUser, storeError, uniq } from './store-contract.ts';
import type { Store } from './types.ts';

/** A user with one of everything. */
async function populate(store: Store, words = 'alpha beta') {
  const u = await newUser(store);
  const c = await store.conversations.create({ userId: u.id, title: `title ${words}` });
  const m = await store.messages.create({
    conversationId: c.id,
    userId: u.id,
    role: 'user',
    content: `content ${words}`,
  });
  const { generation, message } = await store.generations.start({
    userId: u.id,
    conversationId: c.id,
    parentId: m.id,
    model: 'x',
  });
  const session = await store.sessions.create({
    userId: u.id,
    tokenHash: `t-${uniq()}`,
    expiresAt: new Date(Date.now() + 60_000),
  });
  const key = await store.apiKeys.create({ userId: u.id, name: 'k', prefix: 'p', keyHash: `k-${uniq()}` });
  await store.usage.record({
    userId: u.id,
    apiKeyId: key.id,
    generationId: generation.id,
    model: 'x',
    promptTokens: 1,
    completionTokens: 1,
    reasoningTokens: 0,
    reasoning: true,
  });
  return { u, c, m, generation, message, session, key };
}

/** None of `values` is in `dump`: as is, lowercased, or as the hex or base64 of either. */
export function assertAbsentAtRest(dump: Buffer, values: readonly string[]): void {
  for (const value of values) {
    for (const form of [value, value.toLowerCase()]) {
      assert.equal(dump.includes(Buffer.from(form, 'utf8')), false, `${form} in plain text`);
      assert.equal(dump.includes(Buffer.from(Buffer.from(form).toString('hex'))), false, `${form} as hex`);
      assert.equal(
        dump.includes(Buffer.from(Buffer.from(form).toString('base64'))),
        false,
        `${form} as base64`,
      );
    }
  }
}

export function securityContract({ h, store: s }: ContractEnv): void {
  test('ownership: another user gets null/false for every id of mine', async () => {
    const store = s();
    const a = await populate(store);
    const b = await newUser(store);
    assert.equal(await store.conversations.get(a.c.id, b.id), null);
    assert.equal(await store.conversations.rename(a.c.id, b.id, 'pwned'), null);
    assert.equal(await store.conversations.delete(a.c.id, b.id), false);
    await store.conversations.touch(a.c.id, b.id, new Date(1));
    assert.equal(await store.messages.get(a.m.id, b.id), null);
    assert.equal(await store.messages.tree(a.c.id, b.id), null);
    assert.equal(await store.messages.update(a.m.id, b.id, { content: 'pwned' }), false);
    assert.equal(await store.messages.update(a.m.id, b.id, { content: 'pwned', status: 'complete' }), false);
    assert.equal(await store.generations.get(a.generation.id, b.id), null);
    assert.equal(await store.generations.finish(a.generation.id, b.id, 'cancelled'), false);
    assert.deepEqual(await store.generations.listRunning(b.id), []);
    assert.equal(await store.sessions.delete(a.session.id, b.id), false);
    assert.deepEqual(await store.sessions.list(b.id), []);
    assert.equal(await store.apiKeys.revoke(a.key.id, b.id), false);
    assert.deepEqual(await store.apiKeys.list(b.id), []);
    assert.deepEqual((await store.conversations.list(b.id)).conversations, []);
    assert.deepEqual(await store.usage.totals(b.id, new Date(0)), { reasoningMessages: 0, tokens: 0 });
    await assert.rejects(
      store.messages.create({ conversationId: a.c.id, userId: b.id, role: 'user', content: 'x' }),
      storeError('not_found'),
    );
    await assert.rejects(
      store.generations.start({ userId: b.id, conversationId: a.c.id, parentId: a.m.id, model: 'x' }),
      storeError('not_found'),
    );
    const bc = await store.conversations.create({ userId: b.id });
    await assert.rejects(
      store.messages.create({
        conversationId: bc.id,
        userId: b.id,
        role: 'user',
        content: 'x',
        parentId: a.m.id,
      }),
      storeError('not_found'),
    );
    // Nothing of A changed.
    const conv = await store.conversations.get(a.c.id, a.u.id);
    assert.equal(conv?.title, 'title alpha beta');
    assert.notEqual(conv?.updatedAt.getTime(), 1);
    assert.equal((await store.messages.get(a.m.id, a.u.id))?.content, 'content alpha beta');
    assert.equal((await store.generations.get(a.generation.id, a.u.id))?.status, 'running');
    assert.equal((await store.apiKeys.list(a.u.id)).length, 1);
  });

  test('search: words and prefixes with AND semantics, own data only, follows renames and deletes', async () => {
    const store = s();
    const word = `quux${uniq().replace(/\d/g, 'z')}`;
    const a = await populate(store, `${word} Ñandú  Straße`);
    const b = await populate(store, `${word} Ñandú Straße`);
    const hits = await store.search.query(a.u.id, word);
    assert.deepEqual(
      hits.map((r) => r.conversationId),
      [a.c.id],
    );
    assert.equal(hits[0]?.messageId, a.m.id);
    assert.equal(hits[0]?.title, `title ${word} Ñandú  Straße`);
    assert.match(hits[0]?.snippet ?? '', new RegExp(word));
    assert.equal(
      (await store.search.query(a.u.id, `${word.slice(0, 5).toUpperCase()} ñan`))[0]?.conversationId,
      a.c.id,
    );
    assert.equal((await store.search.query(a.u.id, 'STRASSE')).length, 0);
    assert.equal((await store.search.query(a.u.id, 'straße content'))[0]?.messageId, a.m.id);
    assert.deepEqual(await store.search.query(a.u.id, `${word} missingword`), []);
    assert.deepEqual(await store.search.query(a.u.id, '  ;;; '), []);
    assert.deepEqual(
      (await store.search.query(b.u.id, word)).map((r) => r.conversationId),
      [b.c.id],
    );
    // Title-only match has no messageId.
    const t = await store.search.query(a.u.id, `title ${word}`);
    assert.equal(t[0]?.conversationId, a.c.id);
    assert.equal(t[0]?.messageId, undefined);
    await store.conversations.rename(a.c.id, a.u.id, 'fresh name');
    assert.deepEqual(await store.search.query(a.u.id, 'title'), []);
    assert.equal((await store.search.query(a.u.id, 'fresh'))[0]?.conversationId, a.c.id);
    await store.conversations.delete(a.c.id, a.u.id);
    assert.deepEqual(await store.search.query(a.u.id, word), []);
    // Newest conversation first, one result each, limit honoured.
    const made = [];
    for (let i = 0; i < 3; i++) {
      const c = await store.conversations.create({ userId: a.u.id, title: `${word} ${i}` });
      await store.messages.create({
        conversationId: c.id,
        userId: a.u.id,
        role: 'user',
        content: `${word} once`,
      });
      await store.messages.create({
        conversationId: c.id,
        userId: a.u.id,
        role: 'user',
        content: `${word} twice`,
      });
      made.push(c.id);
    }
    const limited = await store.search.query(a.u.id, word, { limit: 2 });
    assert.deepEqual(
      limited.map((r) => r.conversationId),
      [made[2], made[1]],
    );
    assert.match(limited[0]?.snippet ?? '', /twice/);
  });

  test('deleting a user erases all their rows; audit rows stay without the link', async () => {
    const store = s();
    const a = await populate(store);
    const keep = await populate(store);
    const event = `cascade.${uniq()}`;
    await store.audit.record({ userId: a.u.id, event });
    await store.invites.create({
      codeHash: `i-${uniq()}`,
      createdBy: a.u.id,
      expiresAt: new Date(Date.now() + 1000),
    });
    assert.equal(await store.users.delete(a.u.id), true);
    for (const table of [
      'sessions',
      'api_keys',
      'conversations',
      'messages',
      'generations',
      'usage_ledger',
      'search_tokens',
      'audit_log',
    ]) {
      const rows = await h().raw(`select count(*) as n from ${table} where user_id = ?`, [a.u.id]);
      assert.equal(Number(rows[0]?.n), 0, table);
    }
    const invites = await h().raw('select count(*) as n from invites where created_by = ?', [a.u.id]);
    assert.equal(Number(invites[0]?.n), 0);
    const audit = (await store.audit.list({ limit: 1000 })).filter((r) => r.event === event);
    assert.equal(audit.length, 1);
    assert.equal(audit[0]?.userId, null);
    assert.equal((await store.messages.tree(keep.c.id, keep.u.id))?.length, 2);
  });

  test('encryption at rest: title, content and reasoning canaries never reach the database', async () => {
    const store = s();
    const u = await newUser(store);
    const canary = {
      title: `CanaryTitle${uniq()}`,
      content: `CanaryContent${uniq()}`,
      reasoning: `CanaryReasoning${uniq()}`,
    };
    const c = await store.conversations.create({ userId: u.id, title: `${canary.title} words` });
    const m = await store.messages.create({
      conversationId: c.id,
      userId: u.id,
      role: 'user',
      content: canary.content,
    });
    const g = await store.generations.start({
      userId: u.id,
      conversationId: c.id,
      parentId: m.id,
      model: 'x',
    });
    await store.messages.update(g.message.id, u.id, {
      reasoning: canary.reasoning,
      content: 'streamed part',
    });
    await store.messages.update(g.message.id, u.id, { status: 'complete' });
    assert.equal((await store.messages.get(g.message.id, u.id))?.reasoning, canary.reasoning);
    const dump = await h().dumpAtRest();
    // The dump does hold this user's data: plaintext columns are there, so absence below means something.
    assert.ok(dump.includes(Buffer.from(u.email, 'utf8')), 'the dump sees the database');
    assertAbsentAtRest(dump, Object.values(canary));
  });

  test('AAD binds ciphertexts to row, column and owner: swaps fail with DecryptError', async () => {
    const store = s();
    const a = await populate(store);
    const b = await populate(store);
    const m2 = await store.messages.create({
      conversationId: a.c.id,
      userId: a.u.id,
      role: 'user',
      content: 'second',
    });
    const swap = async (table: string, column: string, x: string, y: string) => {
      const [rx] = await h().raw(`select ${column} as v from ${table} where id = ?`, [x]);
      const [ry] = await h().raw(`select ${column} as v from ${table} where id = ?`, [y]);
      await h().raw(`update ${table} set ${column} = ? where id = ?`, [ry?.v, x]);
      await h().raw(`update ${table} set ${column} = ? where id = ?`, [rx?.v, y]);
    };
    await swap('messages', 'content', a.m.id, m2.id);
    await assert.rejects(store.messages.get(a.m.id, a.u.id), DecryptError);
    await swap('messages', 'content', a.m.id, m2.id);
    assert.equal((await store.messages.get(a.m.id, a.u.id))?.content, 'content alpha beta');
    // Same row, other column.
    const [row] = await h().raw('select content as v from messages where id = ?', [a.m.id]);
    await h().raw('update messages set reasoning = ? where id = ?', [row?.v, a.m.id]);
    await assert.rejects(
      store.messages.get(a.m.id, a.u.id),
      (e: unknown) => e instanceof DecryptError && e.code === 'decrypt_failed',
    );
    // Across users.
    await swap('conversations', 'title', a.c.id, b.c.id);
    await assert.rejects(store.conversations.get(a.c.id, a.u.id), DecryptError);
    await assert.rejects(store.conversations.get(b.c.id, b.u.id), DecryptError);
    await swap('conversations', 'title', a.c.id, b.c.id);
    assert.equal((await store.conversations.get(b.c.id, b.u.id))?.title, 'title alpha beta');
  });

  test('hostile input: SQL metacharacters, unicode, NUL bytes and 10 kB values round-trip or fail cleanly', async () => {
    const store = s();
    const meta = `'; drop table users; -- "\\ %_ \`$1 ?`;
    const big = 'x'.repeat(10_240);
    const u = await store.users.create({
      email: `o'brien+${uniq()}@ex.test`,
      passwordHash: meta,
      plan: 'free',
      displayName: 'Zoë 🧠',
    });
    assert.equal((await store.users.byId(u.id))?.passwordHash, meta);
    for (const text of [meta, big, 'nul\u0000byte', '🧠 日本語 \u202e rtl', '']) {
      const c = await store.conversations.create({ userId: u.id, title: text });
      assert.equal((await store.conversations.get(c.id, u.id))?.title, text);
      const m = await store.messages.create({
        conversationId: c.id,
        userId: u.id,
        role: 'user',
        content: text,
        reasoning: text,
      });
      const got = await store.messages.get(m.id, u.id);
      assert.equal(got?.content, text);
      assert.equal(got?.reasoning, text);
    }
    await assert.rejects(
      store.users.create({ email: `nul\u0000${uniq()}@x.test`, passwordHash: 'h', plan: 'free' }),
      StoreValidationError,
    );
    await assert.rejects(store.users.update(u.id, { displayName: 'a\u0000b' }), StoreValidationError);
    await assert.rejects(store.users.update(u.id, { displayName: big }), StoreValidationError);
    await assert.rejects(
      store.users.create({ email: big, passwordHash: 'h', plan: 'free' }),
      StoreValidationError,
    );
    await assert.rejects(
      store.apiKeys.create({ userId: u.id, name: 'a\u0000', prefix: 'p', keyHash: 'h' }),
      StoreValidationError,
    );
    await assert.rejects(store.audit.record({ event: 'a\u0000b' }), StoreValidationError);
    for (const junk of [meta, 'a\u0000b', big, '', '🧠']) {
      assert.equal(await store.users.byId(junk), null);
      assert.equal(await store.users.byEmail(junk), null);
      assert.equal(await store.conversations.get(junk, u.id), null);
      assert.equal(await store.messages.get(junk, u.id), null);
      assert.equal(await store.sessions.byTokenHash(junk), null);
      assert.equal(await store.apiKeys.byHash(junk), null);
      assert.equal(await store.invites.isValid(junk), false);
      assert.ok(Array.isArray(await store.search.query(u.id, junk)));
    }
    assert.equal((await store.users.byId(u.id))?.id, u.id);
    for (const limit of [Number.NaN, Number.POSITIVE_INFINITY, -5, 0, 1e12]) {
      assert.ok((await store.conversations.list(u.id, { limit })).conversations.length > 0);
      assert.ok(Array.isArray(await store.users.list({ limit, offset: limit })));
      assert.ok(Array.isArray(await store.audit.list({ limit })));
    }
    await assert.rejects(store.usage.totals(u.id, new Date(Number.NaN)), StoreValidationError);
  });

  test('master key file: created 0600; refused when group/world-readable; wrong or malformed keys refused', async () => {
    const keyFile = join(h().dataDir, 'master.key');
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    chmodSync(keyFile, 0o644);
    try {
      await assert.rejects(
        h().open(),
        (e: unknown) => e instanceof MasterKeyError && /chmod 600/.test(e.message),
      );
    } finally {
      chmodSync(keyFile, 0o600);
    }
    await assert.rejects(h().open({ masterKey: 'not-a-key' }), MasterKeyError);
    await assert.rejects(h().open({ masterKey: 'ab'.repeat(31) }), MasterKeyError);
    await assert.rejects(
      h().open({ masterKey: 'cd'.repeat(32) }),
      (e: unknown) =>
        e instanceof MasterKeyError &&
        /does not match/.test(e.message) &&
        !e.message.includes('cd'.repeat(32)),
    );
    const again = await h().open();
    await again.close();
  });

  test('rotation re-wraps data keys: data stays readable, the old master key unwraps nothing', async () => {
    const store = s();
    const a = await populate(store, 'before rotation');
    const keyFile = join(h().dataDir, 'master.key');
    const oldKey = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'hex');
    const rotated = await rotateKeyFile(store, h().dataDir);
    assert.ok(rotated.rewrapped >= 1);
    assert.equal(rotated.oldKeyFile, null);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.notEqual(readFileSync(keyFile, 'utf8').trim(), oldKey.toString('hex'));
    // The running store keeps working (cached and fresh unwraps), and a reopened one too.
    assert.equal((await store.messages.get(a.m.id, a.u.id))?.content, 'content before rotation');
    const fresh = await newUser(store);
    const reopened = await h().open();
    try {
      assert.equal((await reopened.conversations.get(a.c.id, a.u.id))?.title, 'title before rotation');
      assert.equal((await reopened.search.query(a.u.id, 'rotation'))[0]?.conversationId, a.c.id);
      assert.deepEqual((await reopened.conversations.list(fresh.id)).conversations, []);
    } finally {
      await reopened.close();
    }
    const [row] = await h().raw('select wrapped_data_key as k from users where id = ?', [a.u.id]);
    assert.throws(() => unwrapDataKey(oldKey, a.u.id, row?.k as Buffer), DecryptError);
    await assert.rejects(h().open({ masterKey: oldKey.toString('hex') }), MasterKeyError);
    // Rotation to a given key works through the Store API as well.
    const next = 'ef'.repeat(32);
    await store.rotateMasterKey(next);
    const viaOption = await h().open({ masterKey: next });
    try {
      assert.equal((await viaOption.messages.get(a.m.id, a.u.id))?.content, 'content before rotation');
    } finally {
      await viaOption.close();
    }
    await assert.rejects(store.rotateMasterKey('short'), MasterKeyError);
    // Back to a key file for the rest of the suite.
    await rotateKeyFile(store, h().dataDir);
  });
}
