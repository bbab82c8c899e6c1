/**
 * Contract tests for conversations, their message trees and the generations that fill them: pages and
 * cursors, branches, streaming updates, and crash recovery. Run by `runStoreContract` (store-contract.ts)
 * on SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StoreValidationError } from './errors.ts';
import { type ContractEnv, newUser, storeError } from './store-contract.ts';
import type { Store } from './types.ts';

export function conversationsContract({ store: s }: ContractEnv): void {
  test('conversations: create, get, newest-first pages with cursor, rename, touch, delete', async () => {
    const store = s();
    const u = await newUser(store);
    const made = [];
    for (let i = 0; i < 5; i++)
      made.push(await store.conversations.create({ userId: u.id, title: `chat ${i}` }));
    const untitled = await store.conversations.create({ userId: u.id });
    assert.equal(untitled.title, '');
    assert.deepEqual(await store.conversations.get(made[0]!.id, u.id), made[0]);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<Store['conversations']['list']>> = await store.conversations.list(u.id, {
        limit: 2,
        cursor,
      });
      assert.ok(page.conversations.length <= 2);
      seen.push(...page.conversations.map((c) => c.id));
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(
      seen,
      [untitled, ...made.reverse()].map((c) => c.id),
    );
    const first = made[made.length - 1]!;
    await store.conversations.touch(first.id, u.id);
    assert.equal((await store.conversations.list(u.id, { limit: 1 })).conversations[0]?.id, first.id);
    const renamed = await store.conversations.rename(first.id, u.id, 'Renamed ✓');
    assert.equal(renamed?.title, 'Renamed ✓');
    assert.equal((await store.conversations.get(first.id, u.id))?.title, 'Renamed ✓');
    assert.equal(await store.conversations.delete(first.id, u.id), true);
    assert.equal(await store.conversations.get(first.id, u.id), null);
    assert.equal(await store.conversations.delete(first.id, u.id), false);
    await assert.rejects(store.conversations.list(u.id, { cursor: 'garbage!' }), StoreValidationError);
  });

  test('messages: a tree with branches, get, update while streaming, final update', async () => {
    const store = s();
    const u = await newUser(store);
    const c = await store.conversations.create({ userId: u.id, title: 't' });
    const sys = await store.messages.create({
      conversationId: c.id,
      userId: u.id,
      role: 'system',
      content: 'be brief',
    });
    const q = await store.messages.create({
      conversationId: c.id,
      userId: u.id,
      role: 'user',
      content: 'q1',
      parentId: sys.id,
    });
    const edit = await store.messages.create({
      conversationId: c.id,
      userId: u.id,
      role: 'user',
      content: 'q1 edited',
      parentId: sys.id,
    });
    const a = await store.messages.create({
      conversationId: c.id,
      userId: u.id,
      role: 'assistant',
      content: '',
      parentId: q.id,
      status: 'streaming',
      model: 'm',
    });
    assert.equal(a.status, 'streaming');
    assert.equal(a.reasoning, '');
    assert.equal(a.usage, null);
    assert.equal(
      await store.messages.update(a.id, u.id, { reasoning: 'thinking', content: 'partial' }),
      true,
    );
    assert.equal((await store.messages.get(a.id, u.id))?.content, 'partial');
    const usage = { promptTokens: 10, cachedPromptTokens: 4, completionTokens: 7, reasoningTokens: 3 };
    await store.messages.update(a.id, u.id, {
      content: 'final answer',
      status: 'error',
      error: 'upstream\u0000broke',
      reasoningMs: 1500,
      usage,
    });
    const got = await store.messages.get(a.id, u.id);
    assert.equal(got?.content, 'final answer');
    assert.equal(got?.reasoning, 'thinking');
    assert.equal(got?.status, 'error');
    assert.equal(got?.error, 'upstream\uFFFDbroke');
    assert.equal(got?.reasoningMs, 1500);
    assert.deepEqual(got?.usage, usage);
    assert.equal(got?.model, 'm');
    const tree = await store.messages.tree(c.id, u.id);
    assert.deepEqual(
      tree?.map((m) => [m.id, m.parentId]),
      [
        [sys.id, null],
        [q.id, sys.id],
        [edit.id, sys.id],
        [a.id, q.id],
      ],
    );
    await assert.rejects(
      store.messages.create({ conversationId: c.id, userId: u.id, role: 'wizard' as 'user', content: 'x' }),
      StoreValidationError,
    );
    const other = await store.conversations.create({ userId: u.id });
    await assert.rejects(
      store.messages.create({
        conversationId: other.id,
        userId: u.id,
        role: 'user',
        content: 'x',
        parentId: q.id,
      }),
      storeError('not_found'),
    );
    await assert.rejects(
      store.messages.create({ conversationId: 'x'.repeat(22), userId: u.id, role: 'user', content: 'x' }),
      storeError('not_found'),
    );
  });

  test('generations: start, get, finish once, listRunning, markAllRunningInterrupted', async () => {
    const store = s();
    const u = await newUser(store);
    const c = await store.conversations.create({ userId: u.id, title: 'gen' });
    const q = await store.messages.create({
      conversationId: c.id,
      userId: u.id,
      role: 'user',
      content: 'hi',
    });
    const { generation, message } = await store.generations.start({
      userId: u.id,
      conversationId: c.id,
      parentId: q.id,
      model: 'tiny',
    });
    assert.equal(generation.status, 'running');
    assert.equal(generation.assistantMessageId, message.id);
    assert.equal(message.generationId, generation.id);
    assert.equal(message.status, 'streaming');
    assert.equal(message.parentId, q.id);
    assert.deepEqual(await store.generations.get(generation.id, u.id), generation);
    assert.ok((await store.generations.listRunning(u.id)).some((g) => g.id === generation.id));
    assert.ok((await store.generations.listRunning()).some((g) => g.id === generation.id));
    await store.messages.update(message.id, u.id, { content: 'half an answer about zymurgy' });
    const second = await store.generations.start({
      userId: u.id,
      conversationId: c.id,
      parentId: q.id,
      model: 'tiny',
    });
    assert.equal(await store.generations.finish(second.generation.id, u.id, 'cancelled'), true);
    assert.equal(await store.generations.finish(second.generation.id, u.id, 'done'), false);
    const finished = await store.generations.get(second.generation.id, u.id);
    assert.equal(finished?.status, 'cancelled');
    assert.ok(finished?.finishedAt instanceof Date);

    assert.ok((await store.generations.markAllRunningInterrupted()) >= 1);
    assert.equal((await store.generations.get(generation.id, u.id))?.status, 'interrupted');
    const m = await store.messages.get(message.id, u.id);
    assert.equal(m?.status, 'interrupted');
    assert.equal(m?.content, 'half an answer about zymurgy');
    assert.deepEqual(await store.generations.listRunning(u.id), []);
    // Interrupted partial answers are searchable like finished ones.
    assert.equal((await store.search.query(u.id, 'zymurgy'))[0]?.messageId, message.id);
    await assert.rejects(
      store.generations.start({
        userId: u.id,
        conversationId: c.id,
        parentId: 'y'.repeat(22),
        model: 'tiny',
      }),
      storeError('not_found'),
    );
  });
}
