/**
 * Contract tests for stored responses (migration 0006, the Responses API): owner-scoped reads and
 * deletes, encryption at rest with AAD binding, sealing for the client, and deletion with the account.
 * Run by `runStoreContract` (store-contract.ts) on SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DecryptError } from './errors.ts';
import { type ContractEnv, newUser, uniq } from './store-contract.ts';
import { assertAbsentAtRest } from './store-contract-security.ts';

export function responsesContract({ h, store: s }: ContractEnv): void {
  test('responses: create, get and delete by the owner only; another user sees nothing', async () => {
    const store = s();
    const owner = await newUser(store);
    const other = await newUser(store);
    const id = `resp_${uniq()}`;
    const body = JSON.stringify({ output: 'a secret answer 🧠 \u0000', n: 1 });
    const created = await store.responses.create({ id, userId: owner.id, body });
    assert.equal(created.body, body);
    assert.equal((await store.responses.get(id, owner.id))?.body, body);
    assert.equal(await store.responses.get(id, other.id), null);
    assert.equal(await store.responses.get('resp_nope', owner.id), null);
    assert.equal(await store.responses.get('', owner.id), null);
    assert.equal(await store.responses.delete(id, other.id), false);
    assert.ok(await store.responses.get(id, owner.id));
    assert.equal(await store.responses.delete(id, owner.id), true);
    assert.equal(await store.responses.get(id, owner.id), null);
    assert.equal(await store.responses.delete(id, owner.id), false);
  });

  test('responses: encrypted at rest, bound to row and owner, gone with the account', async () => {
    const store = s();
    const owner = await newUser(store);
    const canary = `response-canary-${uniq()}`;
    const id = `resp_${uniq()}`;
    const copy = `resp_${uniq()}`;
    await store.responses.create({ id, userId: owner.id, body: JSON.stringify({ text: canary }) });
    await store.responses.create({ id: copy, userId: owner.id, body: '{}' });
    assertAbsentAtRest(await h().dumpAtRest(), [canary]);
    // A ciphertext moved to another row fails authentication instead of reading as that row.
    const [row] = await h().raw('select body from responses where id = ?', [id]);
    assert.ok(row);
    await h().raw('update responses set body = ? where id = ?', [row.body, copy]);
    await assert.rejects(store.responses.get(copy, owner.id), DecryptError);
    await store.users.delete(owner.id);
    const [count] = await h().raw('select count(*) as n from responses where user_id = ?', [owner.id]);
    assert.equal(Number(count?.n), 0);
  });

  test('responses: text sealed for the client opens for its owner only', async () => {
    const store = s();
    const owner = await newUser(store);
    const other = await newUser(store);
    const sealed = await store.responses.sealForClient(owner.id, 'my reasoning');
    assert.match(sealed, /^[A-Za-z0-9_-]+$/);
    assert.ok(!sealed.includes('reasoning'));
    assert.equal(await store.responses.openForClient(owner.id, sealed), 'my reasoning');
    assert.equal(await store.responses.openForClient(other.id, sealed), null);
    assert.equal(await store.responses.openForClient(owner.id, `${sealed.slice(0, -2)}AA`), null);
    assert.equal(await store.responses.openForClient(owner.id, '!!not base64'), null);
  });
}
