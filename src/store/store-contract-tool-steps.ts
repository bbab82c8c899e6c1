/**
 * Contract tests for an assistant message's tool steps (migration 0003): round trip and validation, and
 * what protects them at rest (encryption, AAD binding). Run by `runStoreContract` (store-contract.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DecryptError, StoreValidationError } from './errors.ts';
import { type ContractEnv, newUser, uniq } from './store-contract.ts';
import { assertAbsentAtRest } from './store-contract-security.ts';
import type { Store, ToolStep } from './types.ts';

const step = (n: number, extra: Partial<ToolStep> = {}): ToolStep => ({
  id: `call_${n}`,
  name: `tool_${n}`,
  arguments: JSON.stringify({ q: `query ${n}` }),
  reasoningOffset: n * 10,
  at: n * 100,
  ...extra,
});

/** A user, a conversation, a question and an assistant answer (with `toolSteps` when given). */
async function answer(store: Store, toolSteps?: ToolStep[]) {
  const u = await newUser(store);
  const c = await store.conversations.create({ userId: u.id, title: 'tools' });
  const q = await store.messages.create({ conversationId: c.id, userId: u.id, role: 'user', content: 'q' });
  const a = await store.messages.create({
    conversationId: c.id,
    userId: u.id,
    role: 'assistant',
    content: 'a',
    parentId: q.id,
    ...(toolSteps ? { toolSteps } : {}),
  });
  return { u, c, q, a };
}

export function toolStepsContract({ h, store: s }: ContractEnv): void {
  test('tool steps: create, update (replaces the list, order kept), read, clear; none reads as []', async () => {
    const store = s();
    const first = [
      step(1, { result: { content: 'found 3 pages', isError: false, ms: 12 } }),
      step(2, { arguments: '{"q":"🧠 日本語 \u0000 \'; drop table messages; --"}' }),
    ];
    const { u, c, q, a } = await answer(store, first);
    assert.deepEqual(a.toolSteps, first);
    assert.deepEqual((await store.messages.get(a.id, u.id))?.toolSteps, first);
    assert.deepEqual(await store.messages.get(q.id, u.id).then((m) => m?.toolSteps), []);

    // While streaming: the list grows, a result arrives; other fields leave it alone.
    const g = await store.generations.start({
      userId: u.id,
      conversationId: c.id,
      parentId: q.id,
      model: 'x',
    });
    assert.deepEqual(g.message.toolSteps, []);
    const running = [step(3), step(1), step(2, { at: 0.5 })];
    assert.equal(await store.messages.update(g.message.id, u.id, { toolSteps: running }), true);
    assert.deepEqual((await store.messages.get(g.message.id, u.id))?.toolSteps, running);
    const done: ToolStep[] = running.map((x, i) => ({
      ...x,
      result: { content: `r${i}`, isError: i === 1, ms: i },
    }));
    done[2] = running[2] as ToolStep;
    await store.messages.update(g.message.id, u.id, { content: 'answer', reasoning: 'more thought' });
    assert.deepEqual((await store.messages.get(g.message.id, u.id))?.toolSteps, running);
    await store.messages.update(g.message.id, u.id, { toolSteps: done, status: 'complete' });
    const tree = await store.messages.tree(c.id, u.id);
    assert.deepEqual(tree?.find((m) => m.id === g.message.id)?.toolSteps, done);
    assert.deepEqual(tree?.find((m) => m.id === a.id)?.toolSteps, first);
    assert.equal(tree?.find((m) => m.id === g.message.id)?.toolSteps[2]?.result, undefined);
    // A continued answer keeps its steps.
    const more = await store.generations.start({
      userId: u.id,
      conversationId: c.id,
      parentId: q.id,
      model: 'x',
      continueMessageId: g.message.id,
    });
    assert.deepEqual(more.message.toolSteps, done);

    // Unknown fields are not kept; an empty list clears the column.
    const extra = { ...step(4), secret: 'not stored', result: { content: '', isError: false, ms: 0, x: 1 } };
    await store.messages.update(a.id, u.id, { toolSteps: [extra as ToolStep] });
    assert.deepEqual((await store.messages.get(a.id, u.id))?.toolSteps, [
      { ...step(4), result: { content: '', isError: false, ms: 0 } },
    ]);
    await store.messages.update(a.id, u.id, { toolSteps: [] });
    assert.deepEqual((await store.messages.get(a.id, u.id))?.toolSteps, []);
    const [row] = await h().raw('select tool_steps as v from messages where id = ?', [a.id]);
    assert.equal(row?.v, null);
  });

  test('tool steps: rows from before migration 0003 (null) read as []; bad steps fail cleanly', async () => {
    const store = s();
    const { u, a } = await answer(store, [step(1)]);
    await h().raw('update messages set tool_steps = null where id = ?', [a.id]);
    assert.deepEqual((await store.messages.get(a.id, u.id))?.toolSteps, []);
    const bad: unknown[] = [
      [{ ...step(1), reasoningOffset: -1 }],
      [{ ...step(1), reasoningOffset: 1.5 }],
      [{ ...step(1), at: Number.NaN }],
      [{ ...step(1), name: 7 }],
      [{ ...step(1), arguments: undefined }],
      [{ ...step(1), result: { content: 'x', isError: 'no', ms: 1 } }],
      [{ ...step(1), result: { content: 'x', isError: false, ms: -1 } }],
      [{ ...step(1), result: null }],
      [null],
      'not a list',
    ];
    for (const toolSteps of bad) {
      await assert.rejects(
        store.messages.update(a.id, u.id, { toolSteps: toolSteps as ToolStep[] }),
        StoreValidationError,
        JSON.stringify(toolSteps),
      );
    }
    assert.deepEqual((await store.messages.get(a.id, u.id))?.toolSteps, []);
  });

  test('encryption at rest: canaries in tool arguments and results never reach the database', async () => {
    const store = s();
    const canary = {
      name: `CanaryToolName${uniq()}`,
      arguments: `CanaryArguments${uniq()}`,
      result: `CanaryResult${uniq()}`,
      error: `CanaryToolError${uniq()}`,
    };
    const { u, c, q } = await answer(store);
    const g = await store.generations.start({
      userId: u.id,
      conversationId: c.id,
      parentId: q.id,
      model: 'x',
    });
    const call = step(1, { name: canary.name, arguments: JSON.stringify({ query: canary.arguments }) });
    await store.messages.update(g.message.id, u.id, { toolSteps: [call] });
    const steps = [
      { ...call, result: { content: `page says ${canary.result}`, isError: false, ms: 5 } },
      step(2, { result: { content: canary.error, isError: true, ms: 1 } }),
    ];
    await store.messages.update(g.message.id, u.id, { toolSteps: steps, status: 'complete' });
    assert.deepEqual((await store.messages.get(g.message.id, u.id))?.toolSteps, steps);
    const dump = await h().dumpAtRest();
    assert.ok(dump.includes(Buffer.from(u.email, 'utf8')), 'the dump sees the database');
    assertAbsentAtRest(dump, Object.values(canary));
  });

  test('AAD binds tool steps to row, column and owner: moved ciphertexts fail with DecryptError', async () => {
    const store = s();
    const a = await answer(store, [step(1, { result: { content: 'a', isError: false, ms: 1 } })]);
    const b = await answer(store, [step(2)]);
    const read = async (id: string) =>
      (await h().raw('select tool_steps as t, reasoning as r from messages where id = ?', [id]))[0];
    const set = (id: string, value: unknown) =>
      h().raw('update messages set tool_steps = ? where id = ?', [value, id]);
    const original = (await read(a.a.id))?.t;
    // Another row of the same owner.
    const second = await store.messages.create({
      conversationId: a.c.id,
      userId: a.u.id,
      role: 'assistant',
      content: 'b',
      parentId: a.q.id,
    });
    await set(second.id, original);
    await assert.rejects(store.messages.get(second.id, a.u.id), DecryptError);
    // Another owner.
    await set(b.a.id, original);
    await assert.rejects(store.messages.get(b.a.id, b.u.id), DecryptError);
    // The same row's reasoning (or content) ciphertext in this column.
    await set(a.a.id, (await read(a.a.id))?.r);
    await assert.rejects(
      store.messages.get(a.a.id, a.u.id),
      (e: unknown) => e instanceof DecryptError && e.code === 'decrypt_failed',
    );
    await set(a.a.id, original);
    assert.equal((await store.messages.get(a.a.id, a.u.id))?.toolSteps[0]?.result?.content, 'a');
  });
}
