/**
 * Another Ponder as the model under test: this Ponder's eval runner reaches a second Ponder (embedded
 * tiny model) through its `/v1` API as an ordinary upstream, with an API key. The protocol's settings
 * and the thinking budget cross the wire, and the second Ponder counts the turns on its own user's
 * ledger (it is a user there). Score ≈ 0 on random weights: structure only.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { configSchema } from '../src/config/schema.ts';
import { EvalRunner } from '../src/core/eval/runner.ts';
import { InferenceGateway } from '../src/core/inference-gateway.ts';
import { PlanCatalog } from '../src/core/quotas/plans.ts';
import { ToolRegistry } from '../src/core/turns/tool-registry.ts';
import { TurnPipeline } from '../src/core/turns/turn-pipeline.ts';
import { createUpstreamProvider } from '../src/inference/upstream/provider.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';
import { openStore } from '../src/store/index.ts';
import type { Store } from '../src/store/types.ts';

describe('eval against another Ponder as an upstream', () => {
  let remote: TestServer;
  let store: Store;
  let dataDir: string;
  let remoteUserId: string;
  let runner: EvalRunner;
  let ownerId: string;

  before(async () => {
    remote = await startTestServer({ withModel: true });
    const { cookie, user } = await remote.signup('remote-admin@example.test');
    remoteUserId = user.id;
    const created = (await (
      await remote.request('/api/keys', { method: 'POST', cookie, json: { name: 'eval' } })
    ).json()) as {
      key: string;
    };
    dataDir = mkdtempSync(join(tmpdir(), 'ponder-eval-remote-'));
    store = await openStore({ dataDir });
    ownerId = (
      await store.users.create({
        email: 'local-admin@example.test',
        passwordHash: 'x',
        plan: 'free',
        isAdmin: true,
      })
    ).id;
    const config = configSchema.parse({});
    const plans = new PlanCatalog(config.plans, config.defaultPlan);
    const provider = createUpstreamProvider({
      id: 'other-ponder',
      baseUrl: `${remote.baseUrl}/v1`,
      apiKey: created.key,
      reasoningFormat: 'auto',
    });
    const gateway = new InferenceGateway({ providers: [provider] });
    runner = new EvalRunner({
      store,
      pipeline: new TurnPipeline({ gateway, plans, tools: new ToolRegistry([]) }),
      plans,
      suites: { dataDir, cwd: dataDir },
    });
  });

  after(async () => {
    await store?.close();
    await remote?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('a run completes through the other Ponder; its budget and length limit apply there', async () => {
    const run = await runner.create(ownerId, {
      suite: { type: 'generated', name: 'logic', seed: 4, count: 2 },
      models: ['tiny'],
      budgets: ['off', '3'],
      maxTokens: 8,
    });
    const done = await runner.run(run.id);
    assert.equal(done.status, 'done', done.error ?? '');
    assert.equal(done.done, 4);
    const samples = await store.evals.listSamples(run.id);
    const off = samples.filter((s) => s.variant === 'tiny|off');
    const three = samples.filter((s) => s.variant === 'tiny|3');
    assert.ok(
      off.every((s) => s.reasoningTokens === 0 && s.reasoningChars === 0),
      'thinking off crossed the wire',
    );
    assert.ok(
      three.every((s) => s.reasoningTokens > 0 && s.reasoningTokens <= 3),
      'the budget crossed the wire',
    );
    assert.ok(samples.every((s) => s.promptTokens > 0 && s.reasoningTokens + s.answerTokens <= 8));
    // There, the eval's turns are an API user's completions, on that user's ledger.
    const totals = await remote.store.usage.totals(remoteUserId, new Date(0));
    assert.ok(totals.tokens > 0);
  });
});
