/**
 * The one contract suite every Store implementation passes (design §3): SQLite and PostgreSQL run the
 * same tests through `runStoreContract`. Accounts' functional behaviour lives here; conversations,
 * messages and generations in store-contract-conversations.ts; encryption, isolation,
 * cascade and key handling in store-contract-security.ts; tool steps in store-contract-tool-steps.ts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { StoreError, StoreValidationError } from './errors.ts';
import { arenaContract } from './store-contract-arena.ts';
import { conversationsContract } from './store-contract-conversations.ts';
import { documentsContract } from './store-contract-documents.ts';
import { evalContract } from './store-contract-eval.ts';
import { identitiesContract } from './store-contract-identities.ts';
import { responsesContract } from './store-contract-responses.ts';
import { securityContract } from './store-contract-security.ts';
import { toolStepsContract } from './store-contract-tool-steps.ts';
import type { Store, UserRecord } from './types.ts';

/** What a dialect's test file provides: a fresh, private database and raw access to it. */
export interface StoreHarness {
  dataDir: string;
  /** Opens another Store on the same database (callers close it). */
  open(options?: { masterKey?: string }): Promise<Store>;
  /** Raw SQL with `?` placeholders, as an attacker or operator with database access could run. */
  raw(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Every byte the database keeps at rest: the SQLite file with its -wal, or a `pg_dump`. */
  dumpAtRest(): Promise<Buffer>;
  /** Closes raw connections and deletes the database. */
  dispose(): Promise<void>;
}

export interface ContractEnv {
  h: () => StoreHarness;
  store: () => Store;
}

export const uniq = () => randomBytes(6).toString('hex');

export async function newUser(store: Store, tag = 'u'): Promise<UserRecord> {
  return store.users.create({ email: `${tag}-${uniq()}@example.test`, passwordHash: 'hash', plan: 'free' });
}

export const storeError = (code: StoreError['code']) => (err: unknown) =>
  err instanceof StoreError && err.code === code;

export function runStoreContract(name: string, setup: () => Promise<StoreHarness>): void {
  describe(`Store contract: ${name}`, () => {
    let harness: StoreHarness;
    let store: Store;
    before(async () => {
      harness = await setup();
      store = await harness.open();
    });
    after(async () => {
      await store?.close();
      await harness?.dispose();
    });
    const env: ContractEnv = { h: () => harness, store: () => store };
    functionalContract(env);
    conversationsContract(env);
    securityContract(env);
    toolStepsContract(env);
    arenaContract(env); // arena (issue 15)
    responsesContract(env); // the Responses API (issue 14)
    evalContract(env); // ponder eval (issue 15)
    documentsContract(env); // documents (issue 13)
    identitiesContract(env); // single sign-on (issue 14)
  });
}

function functionalContract({ store: s, h }: ContractEnv): void {
  test('users: create, normalised email lookup, update, list, count, delete', async () => {
    const store = s();
    const email = `Mixed.Case-${uniq()}@Example.TEST`;
    const u = await store.users.create({
      email: `  ${email} `,
      passwordHash: 'h1',
      plan: 'free',
      isAdmin: true,
    });
    assert.equal(u.email, email.toLowerCase());
    assert.equal(u.isAdmin, true);
    assert.equal(u.disabled, false);
    assert.deepEqual(await store.users.byEmail(email.toUpperCase()), u);
    assert.deepEqual(await store.users.byId(u.id), u);
    await assert.rejects(
      store.users.create({ email, passwordHash: 'h', plan: 'free' }),
      (e: unknown) => storeError('conflict')(e) && (e as StoreError).field === 'email',
    );
    const updated = await store.users.update(u.id, {
      isAdmin: false,
      disabled: true,
      plan: 'pro',
      displayName: 'Zoë 🧠 日本語',
      passwordHash: 'h2',
    });
    assert.deepEqual(
      { ...updated, createdAt: undefined },
      {
        ...u,
        isAdmin: false,
        disabled: true,
        plan: 'pro',
        displayName: 'Zoë 🧠 日本語',
        passwordHash: 'h2',
        createdAt: undefined,
      },
    );
    assert.equal((await store.users.update(u.id, { displayName: null }))?.displayName, null);
    const before = await store.users.count();
    assert.ok((await store.users.list({ limit: 10_000 })).some((x) => x.id === u.id));
    assert.equal(await store.users.delete(u.id), true);
    assert.equal(await store.users.delete(u.id), false);
    assert.equal(await store.users.byId(u.id), null);
    assert.equal(await store.users.count(), before - 1);
    assert.equal(await store.users.update(u.id, { plan: 'x' }), null);
  });

  test('sessions: create, lookup with user, expiry, touch, list, delete, end all but one', async () => {
    const store = s();
    const u = await newUser(store);
    const soon = new Date(Date.now() + 60_000);
    const a = await store.sessions.create({
      userId: u.id,
      tokenHash: `t-${uniq()}`,
      userAgent: 'UA',
      expiresAt: soon,
    });
    const b = await store.sessions.create({ userId: u.id, tokenHash: `t-${uniq()}`, expiresAt: soon });
    const expired = await store.sessions.create({
      userId: u.id,
      tokenHash: `t-${uniq()}`,
      expiresAt: new Date(Date.now() - 1),
    });
    const found = await store.sessions.byTokenHash(a.tokenHash);
    assert.deepEqual(found?.session, a);
    assert.equal(found?.user.id, u.id);
    assert.equal(await store.sessions.byTokenHash(expired.tokenHash), null);
    assert.equal(await store.sessions.byTokenHash('nope'), null);
    await assert.rejects(
      store.sessions.create({ userId: u.id, tokenHash: a.tokenHash, expiresAt: soon }),
      storeError('conflict'),
    );
    const later = new Date(Date.now() + 120_000);
    await store.sessions.touch(a.id, { lastSeenAt: new Date(Date.now() + 5), expiresAt: later });
    assert.equal(
      (await store.sessions.byTokenHash(a.tokenHash))?.session.expiresAt.getTime(),
      later.getTime(),
    );
    assert.deepEqual(
      (await store.sessions.list(u.id)).map((x) => x.id),
      [b.id, a.id],
    );
    assert.equal(await store.sessions.deleteAllForUser(u.id, a.id), 2);
    assert.deepEqual(
      (await store.sessions.list(u.id)).map((x) => x.id),
      [a.id],
    );
    assert.equal(await store.sessions.delete(a.id, u.id), true);
    assert.equal(await store.sessions.byTokenHash(a.tokenHash), null);
    assert.ok((await store.sessions.deleteExpired(new Date(Date.now() + 10 * 60_000))) >= 0);
  });

  test('api keys: create, lookup, list, touch, revoke', async () => {
    const store = s();
    const u = await newUser(store);
    const k = await store.apiKeys.create({
      userId: u.id,
      name: "o'key; --",
      prefix: 'pk_abc',
      keyHash: `k-${uniq()}`,
    });
    assert.equal(k.name, "o'key; --");
    assert.equal(await store.apiKeys.byHash(`k-${uniq()}`), null);
    assert.equal((await store.apiKeys.list(u.id))[0]?.id, k.id);
    await store.apiKeys.touch(k.id, new Date(12345));
    assert.equal((await store.apiKeys.list(u.id))[0]?.lastUsedAt?.getTime(), 12345);
    assert.equal(await store.apiKeys.revoke(k.id, u.id), true);
    assert.equal(await store.apiKeys.revoke(k.id, u.id), false);
    assert.deepEqual(await store.apiKeys.list(u.id), []);
  });

  test('api keys: byHash returns the key and its user until revoked', async () => {
    const store = s();
    const u = await newUser(store);
    const keyHash = `k-${uniq()}`;
    const k = await store.apiKeys.create({ userId: u.id, name: 'cli', prefix: 'pk_1', keyHash });
    const found = await store.apiKeys.byHash(keyHash);
    assert.deepEqual(found?.apiKey, k);
    assert.equal(found?.user.id, u.id);
    await assert.rejects(
      store.apiKeys.create({ userId: u.id, name: 'x', prefix: 'p', keyHash }),
      storeError('conflict'),
    );
    await store.apiKeys.revoke(k.id, u.id);
    assert.equal(await store.apiKeys.byHash(keyHash), null);
  });

  test('usage ledger: record and totals since a time', async () => {
    const store = s();
    const u = await newUser(store);
    const start = new Date();
    const e = await store.usage.record({
      userId: u.id,
      model: 'm',
      promptTokens: 100,
      completionTokens: 50,
      reasoningTokens: 20,
      reasoning: true,
    });
    assert.equal(e.reasoning, true);
    await store.usage.record({
      userId: u.id,
      model: 'm',
      promptTokens: 1,
      completionTokens: 2,
      reasoningTokens: 0,
      reasoning: false,
    });
    assert.deepEqual(await store.usage.totals(u.id, new Date(start.getTime() - 1000)), {
      reasoningMessages: 1,
      tokens: 153,
    });
    assert.deepEqual(await store.usage.totals(u.id, new Date(Date.now() + 60_000)), {
      reasoningMessages: 0,
      tokens: 0,
    });
    await assert.rejects(
      store.usage.record({
        userId: u.id,
        model: 'm',
        promptTokens: -1,
        completionTokens: 0,
        reasoningTokens: 0,
        reasoning: false,
      }),
      StoreValidationError,
    );
  });

  test('audit log and invites', async () => {
    const store = s();
    const admin = await newUser(store, 'admin');
    const event = `test.event.${uniq()}`;
    await store.audit.record({ userId: admin.id, event, ip: '127.0.0.1', detail: { n: 1, s: 'a\u0000b' } });
    await store.audit.record({ event, detail: null });
    const rows = (await store.audit.list({ limit: 1000 })).filter((r) => r.event === event);
    assert.equal(rows.length, 2);
    assert.deepEqual(rows[1]?.detail, { n: 1, s: 'a\u0000b' });
    assert.equal((await store.audit.list({ userId: admin.id }))[0]?.event, event);

    const codeHash = `inv-${uniq()}`;
    const inv = await store.invites.create({
      codeHash,
      createdBy: admin.id,
      expiresAt: new Date(Date.now() + 60_000),
    });
    assert.equal(await store.invites.isValid(codeHash), true);
    const invited = await store.users.create({
      email: `inv-${uniq()}@x.test`,
      passwordHash: 'h',
      plan: 'free',
      inviteCodeHash: codeHash,
    });
    assert.equal(await store.invites.isValid(codeHash), false);
    assert.equal((await store.invites.list()).find((i) => i.id === inv.id)?.usedBy, invited.id);
    const email = `inv-${uniq()}@x.test`;
    await assert.rejects(
      store.users.create({ email, passwordHash: 'h', plan: 'free', inviteCodeHash: codeHash }),
      storeError('invalid_invite'),
    );
    assert.equal(await store.users.byEmail(email), null);
    const expired = `inv-${uniq()}`;
    await store.invites.create({ codeHash: expired, createdBy: null, expiresAt: new Date(Date.now() - 1) });
    assert.equal(await store.invites.consume(expired, invited.id), false);
    const other = `inv-${uniq()}`;
    const inv2 = await store.invites.create({
      codeHash: other,
      createdBy: null,
      expiresAt: new Date(Date.now() + 60_000),
    });
    assert.equal(await store.invites.consume(other, invited.id), true);
    assert.equal(await store.invites.consume(other, invited.id), false);
    assert.equal(await store.invites.delete(inv2.id), true);
  });

  test('integrityCheck, close is idempotent and async-disposable', async () => {
    assert.deepEqual(await s().integrityCheck(), { ok: true });
    const extra = await h().open();
    assert.equal(extra.dialect, s().dialect);
    assert.equal(await extra.users.count(), await s().users.count());
    await extra.close();
    await extra.close();
    const disposable = await h().open();
    await disposable[Symbol.asyncDispose]();
  });
}
