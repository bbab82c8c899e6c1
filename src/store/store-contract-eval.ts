/**
 * Contract tests for eval runs (migration 0007_eval_runs), run on SQLite and PostgreSQL by
 * `runStoreContract`: runs and samples round-trip, a sample is stored once (what resume relies on),
 * answers are encrypted and bound to their sample, and the owner's deletion removes everything.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DecryptError, StoreError, StoreValidationError } from './errors.ts';
import { type ContractEnv, newUser, uniq } from './store-contract.ts';
import { assertAbsentAtRest } from './store-contract-security.ts';
import type { EvalSampleInput } from './types.ts';

const sample = (runId: string, i: number, extra: Partial<EvalSampleInput> = {}): EvalSampleInput => ({
  runId,
  variant: 'model-a|default',
  problemId: `p-${i}`,
  sampleIndex: 0,
  correct: i % 2 === 0,
  method: 'boxed',
  finishReason: 'stop',
  promptTokens: 20,
  reasoningTokens: 100 + i,
  answerTokens: 10,
  reasoningChars: 400,
  ttftMs: 12,
  durationMs: 900,
  rawAnswer: `the answer is \\boxed{${i}}`,
  extracted: String(i),
  key: String(i),
  reason: `"${i}" matches after normalisation`,
  ...extra,
});

export function evalContract({ h, store: s }: ContractEnv): void {
  test('eval: a run and its samples round-trip; progress counts stored samples; newest run first', async () => {
    const store = s();
    const u = await newUser(store);
    const run = await store.evals.createRun({
      userId: u.id,
      name: `r-${uniq()}`,
      config: '{"k":2}',
      total: 4,
    });
    assert.equal(run.status, 'running');
    assert.equal(run.done, 0);
    assert.equal(await store.evals.addSample(sample(run.id, 1)), true);
    assert.equal(
      await store.evals.addSample(
        sample(run.id, 2, { sampleIndex: 1, ttftMs: null, extracted: null, key: null }),
      ),
      true,
    );
    const got = await store.evals.getRun(run.id);
    assert.equal(got?.done, 2);
    assert.equal(got?.config, '{"k":2}');
    const samples = await store.evals.listSamples(run.id);
    assert.deepEqual(
      samples.map((x) => [x.problemId, x.sampleIndex, x.correct, x.extracted, x.ttftMs]),
      [
        ['p-1', 0, false, '1', 12],
        ['p-2', 1, true, null, null],
      ],
    );
    assert.equal(samples[0]?.rawAnswer, 'the answer is \\boxed{1}');
    assert.equal(samples[0]?.reasoningTokens, 101);
    assert.deepEqual((await store.evals.sampleKeys(run.id)).map((k) => k.problemId).sort(), ['p-1', 'p-2']);
    await store.evals.setStatus(run.id, 'failed', 'upstream down');
    const failed = await store.evals.getRun(run.id);
    assert.equal(failed?.status, 'failed');
    assert.equal(failed?.error, 'upstream down');
    const later = await store.evals.createRun({ userId: u.id, name: 'later', config: '{}', total: 1 });
    const list = await store.evals.listRuns({ limit: 500 });
    assert.ok(list.findIndex((r) => r.id === later.id) < list.findIndex((r) => r.id === run.id));
  });

  test('eval: a sample is stored once (a resume never overwrites); bad input is refused', async () => {
    const store = s();
    const u = await newUser(store);
    const run = await store.evals.createRun({ userId: u.id, name: 'once', config: '{}', total: 1 });
    assert.equal(await store.evals.addSample(sample(run.id, 1)), true);
    assert.equal(
      await store.evals.addSample(sample(run.id, 1, { rawAnswer: 'other', correct: true })),
      false,
    );
    const [only] = await store.evals.listSamples(run.id);
    assert.equal(only?.rawAnswer, 'the answer is \\boxed{1}');
    await assert.rejects(store.evals.addSample(sample(run.id, 1, { sampleIndex: -1 })), StoreValidationError);
    await assert.rejects(
      store.evals.addSample({ ...sample(run.id, 1), runId: 'nope' }),
      StoreValidationError,
    );
    await assert.rejects(store.evals.setStatus(run.id, 'weird' as never), StoreValidationError);
    await assert.rejects(
      store.evals.createRun({ userId: 'missing', name: 'x', config: '{}', total: 1 }),
      (err: unknown) => err instanceof StoreError && err.code === 'not_found',
    );
    assert.equal(await store.evals.getRun('junk'), null);
    assert.deepEqual(await store.evals.listSamples('junk'), []);
  });

  test('eval: answers are encrypted at rest and bound to their sample; deleting the owner removes runs', async () => {
    const store = s();
    const u = await newUser(store);
    const canary = `eval-canary-${uniq()}`;
    const run = await store.evals.createRun({ userId: u.id, name: 'secret', config: '{}', total: 2 });
    await store.evals.addSample(
      sample(run.id, 1, { rawAnswer: `${canary}-raw`, extracted: `${canary}-x`, reason: `${canary}-why` }),
    );
    await store.evals.addSample(sample(run.id, 2));
    assertAbsentAtRest(await h().dumpAtRest(), [`${canary}-raw`, `${canary}-x`, `${canary}-why`]);
    // Swap the two samples' ciphertexts: each is bound to its own sample, so reading fails.
    const rows = await h().raw(
      'select problem_id, detail from eval_samples where run_id = ? order by problem_id',
      [run.id],
    );
    assert.equal(rows.length, 2);
    await h().raw('update eval_samples set detail = ? where run_id = ? and problem_id = ?', [
      rows[1]?.detail,
      run.id,
      'p-1',
    ]);
    await assert.rejects(store.evals.listSamples(run.id), DecryptError);
    await store.users.delete(u.id);
    assert.equal(await store.evals.getRun(run.id), null);
    assert.deepEqual(await h().raw('select run_id from eval_samples where run_id = ?', [run.id]), []);
  });

  test('eval: deleteRun removes the run with its samples', async () => {
    const store = s();
    const u = await newUser(store);
    const run = await store.evals.createRun({ userId: u.id, name: 'gone', config: '{}', total: 1 });
    await store.evals.addSample(sample(run.id, 1));
    assert.equal(await store.evals.deleteRun(run.id), true);
    assert.equal(await store.evals.deleteRun(run.id), false);
    assert.deepEqual(await store.evals.sampleKeys(run.id), []);
  });
}
