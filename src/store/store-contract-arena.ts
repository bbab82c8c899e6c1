/**
 * Contract tests for the arena's battles (migration 0008_arena): round trip, owner scoping, the single
 * vote, the leaderboard's view of votes, encryption at rest with AAD binding, and account deletion.
 * Run by `runStoreContract` (store-contract.ts) on SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DecryptError, StoreValidationError } from './errors.ts';
import { type ContractEnv, newUser, uniq } from './store-contract.ts';
import { assertAbsentAtRest } from './store-contract-security.ts';
import type { ArenaVote, Store } from './types.ts';

async function battle(store: Store, prompt = 'which is larger, 9.11 or 9.9?') {
  const u = await newUser(store, 'arena');
  const b = await store.arena.create({ userId: u.id, prompt, modelA: 'model-a', modelB: 'model-b' });
  return { u, b };
}

export function arenaContract({ h, store: s }: ContractEnv): void {
  test('arena: create, update each side, read back; owner-scoped', async () => {
    const store = s();
    const { u, b } = await battle(store, 'question 🧠 日本語');
    assert.equal(b.prompt, 'question 🧠 日本語');
    assert.equal(b.userId, u.id);
    assert.deepEqual(b.a, {
      model: 'model-a',
      content: '',
      reasoning: '',
      status: 'streaming',
      error: null,
      reasoningMs: null,
    });
    assert.equal(b.b.model, 'model-b');
    assert.equal(b.vote, null);
    assert.equal(b.votedAt, null);

    assert.equal(
      await store.arena.updateSide(b.id, u.id, 'a', {
        content: 'nine point nine',
        reasoning: 'compare tenths',
        status: 'complete',
        reasoningMs: 1234.4,
      }),
      true,
    );
    assert.equal(await store.arena.updateSide(b.id, u.id, 'b', { status: 'error', error: 'boom' }), true);
    const read = await store.arena.get(b.id, u.id);
    assert.equal(read?.a.content, 'nine point nine');
    assert.equal(read?.a.reasoning, 'compare tenths');
    assert.equal(read?.a.status, 'complete');
    assert.equal(read?.a.reasoningMs, 1234);
    assert.equal(read?.b.status, 'error');
    assert.equal(read?.b.error, 'boom');
    assert.equal(read?.b.content, '');

    const other = await newUser(store, 'other');
    assert.equal(await store.arena.get(b.id, other.id), null);
    assert.equal(await store.arena.updateSide(b.id, other.id, 'a', { content: 'x' }), false);
    assert.equal(await store.arena.vote(b.id, other.id, 'a'), 'not_found');
    assert.equal(await store.arena.get('not-an-id', u.id), null);
    assert.equal(await store.arena.get(b.id, 'not-an-id'), null);
    await assert.rejects(
      store.arena.updateSide(b.id, u.id, 'a', { status: 'nonsense' as never }),
      StoreValidationError,
    );
    await assert.rejects(
      store.arena.create({ userId: u.id, prompt: 'p', modelA: 'bad\u0000id', modelB: 'b' }),
      StoreValidationError,
    );
  });

  test('arena: one vote per battle (a second is refused, racing ones count once); votes() lists them', async () => {
    const store = s();
    const before = (await store.arena.votes()).length;
    const { u, b } = await battle(store);
    const racing = await Promise.all(
      (['a', 'b', 'tie'] as ArenaVote[]).map((v) => store.arena.vote(b.id, u.id, v)),
    );
    assert.equal(racing.filter((r) => r === 'voted').length, 1);
    assert.equal(racing.filter((r) => r === 'already_voted').length, 2);
    assert.equal(await store.arena.vote(b.id, u.id, 'both_bad'), 'already_voted');
    const voted = await store.arena.get(b.id, u.id);
    assert.ok(voted?.vote && ['a', 'b', 'tie'].includes(voted.vote));
    assert.ok(voted?.votedAt instanceof Date);
    await assert.rejects(store.arena.vote(b.id, u.id, 'c' as never), StoreValidationError);

    const second = await battle(store);
    assert.equal(await store.arena.vote(second.b.id, second.u.id, 'both_bad'), 'voted');
    await battle(store); // unvoted: not listed
    const all = await store.arena.votes();
    assert.equal(all.length, before + 2);
    assert.deepEqual(all.at(-1), { modelA: 'model-a', modelB: 'model-b', vote: 'both_bad' });
    assert.deepEqual(Object.keys(all.at(-1) ?? {}).sort(), ['modelA', 'modelB', 'vote']);
    // A limit keeps the newest.
    assert.deepEqual(await store.arena.votes({ limit: 1 }), [all.at(-1)]);
  });

  test('arena: question and answers are encrypted at rest, bound to their row and column', async () => {
    const store = s();
    const canary = `arena-canary-${uniq()}`;
    const { u, b } = await battle(store, `prompt ${canary}`);
    await store.arena.updateSide(b.id, u.id, 'a', {
      content: `answer ${canary}`,
      reasoning: `thought ${canary}`,
    });
    await store.arena.updateSide(b.id, u.id, 'b', { content: `other ${canary}` });
    assertAbsentAtRest(await h().dumpAtRest(), [canary]);

    // A ciphertext moved to another column (or another battle) does not decrypt.
    const { b: b2 } = await battle(store);
    await h().raw('update arena_battles set content_b = content_a where id = ?', [b.id]);
    await assert.rejects(store.arena.get(b.id, u.id), DecryptError);
    await h().raw(
      'update arena_battles set content_b = (select content_b from arena_battles where id = ?) where id = ?',
      [b2.id, b.id],
    );
    await assert.rejects(store.arena.get(b.id, u.id), DecryptError);
  });

  test('arena: deleting the account removes its battles and their votes', async () => {
    const store = s();
    const { u, b } = await battle(store);
    assert.equal(await store.arena.vote(b.id, u.id, 'a'), 'voted');
    const before = (await store.arena.votes()).length;
    assert.equal(await store.users.delete(u.id), true);
    assert.equal((await h().raw('select id from arena_battles where id = ?', [b.id])).length, 0);
    assert.equal((await store.arena.votes()).length, before - 1);
  });
}
