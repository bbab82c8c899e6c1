/**
 * The harness against a scripted OpenAI-compatible upstream (a real HTTP server on 127.0.0.1) whose
 * answers are right on a known subset: the score must come out exactly, the request must follow the
 * protocol, and a stopped run resumes without redoing finished samples.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { configSchema } from '../../config/schema.ts';
import { createUpstreamProvider } from '../../inference/upstream/provider.ts';
import {
  chatStream,
  type ScriptedUpstream,
  startScriptedUpstream,
} from '../../inference/upstream/scripted-upstream.ts';
import { openStore } from '../../store/index.ts';
import type { Store } from '../../store/types.ts';
import { InferenceGateway } from '../inference-gateway.ts';
import { PlanCatalog } from '../quotas/plans.ts';
import { ToolRegistry } from '../turns/tool-registry.ts';
import { TurnPipeline } from '../turns/turn-pipeline.ts';
import { EvalService } from './eval-service.ts';
import { EvalRunner, parseRunConfig } from './runner.ts';
import { generateSuite } from './suites/generated.ts';
import { summarise } from './summary.ts';

/** Counts the turns the runner starts (synchronously, unlike requests arriving at the upstream). */
class CountingPipeline extends TurnPipeline {
  prepared = 0;
  override prepare(...args: Parameters<TurnPipeline['prepare']>) {
    this.prepared++;
    return super.prepare(...args);
  }
}

const SUITE = { type: 'generated', name: 'arithmetic', seed: 7, count: 10 } as const;
const problems = generateSuite('arithmetic', 7, 10);

/** The problem a request is about (its text is the first line of the one user message). */
function problemOf(body: unknown): number {
  const content = (body as { messages: Array<{ content: string }> }).messages[0]?.content ?? '';
  return problems.findIndex((p) => content.startsWith(p.problem));
}

describe('eval runner against a scripted upstream', () => {
  let up: ScriptedUpstream;
  let store: Store;
  let dataDir: string;
  let runner: EvalRunner;
  let pipeline: CountingPipeline;
  let userId: string;
  const asked = new Map<number, number>();
  let mode: 'subset' | 'all-right' = 'subset';

  before(async () => {
    up = await startScriptedUpstream({
      models: ['scripted-r1'],
      onChat: (req) => {
        const i = problemOf(req.body);
        const n = (asked.get(i) ?? 0) + 1;
        asked.set(i, n);
        const answer = problems[i]?.answer ?? '0';
        let content: string[];
        if (mode === 'all-right' || i < 4) content = ['So the result is ', `$\\boxed{${answer}}$`];
        else if (i === 4) content = n === 1 ? [`\\boxed{${answer}}`] : ['I am not sure.'];
        else content = [`\\boxed{${Number(answer) + 1}}`];
        return {
          lines: chatStream({
            reasoning: ['\n', 'step ', 'by step'],
            content,
            usage: {
              prompt_tokens: 30,
              completion_tokens: 20,
              completion_tokens_details: { reasoning_tokens: 15 },
            },
          }),
        };
      },
    });
    dataDir = mkdtempSync(join(tmpdir(), 'ponder-eval-'));
    store = await openStore({ dataDir });
    userId = (await store.users.create({ email: 'admin@example.test', passwordHash: 'x', plan: 'free' })).id;
    const config = configSchema.parse({});
    const plans = new PlanCatalog(config.plans, config.defaultPlan);
    const provider = createUpstreamProvider({ id: 'up', baseUrl: up.baseUrl, reasoningFormat: 'auto' });
    const gateway = new InferenceGateway({ providers: [provider] });
    pipeline = new CountingPipeline({ gateway, plans, tools: new ToolRegistry([]) });
    runner = new EvalRunner({ store, pipeline, plans, suites: { dataDir, cwd: dataDir } });
  });

  after(async () => {
    await store?.close();
    await up?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the score comes out exactly: pass@1, its SE and cons@k; requests follow the protocol', async () => {
    mode = 'subset';
    asked.clear();
    const run = await runner.create(userId, {
      suite: SUITE,
      models: ['scripted-r1'],
      budgets: ['default'],
      k: 2,
      maxTokens: 4096,
    });
    assert.equal(run.total, 20);
    const before = up.chatRequests.length;
    const done = await runner.run(run.id);
    assert.equal(done.status, 'done', done.error ?? '');
    assert.equal(done.done, 20);
    assert.equal(up.chatRequests.length - before, 20);
    const body = up.chatRequests.at(-1)?.body as Record<string, unknown>;
    const messages = body.messages as Array<{ role: string; content: string }>;
    assert.equal(messages.length, 1, 'no system prompt');
    assert.equal(messages[0]?.role, 'user');
    assert.match(
      messages[0]?.content ?? '',
      /Please reason step by step, and put your final answer within \\boxed\{\}\.$/,
    );
    assert.equal(body.temperature, 0.6);
    assert.equal(body.top_p, 0.95);
    assert.equal(body.max_tokens ?? body.max_completion_tokens, 4096);

    const samples = await store.evals.listSamples(run.id);
    const s = summarise(
      done,
      parseRunConfig(JSON.parse(done.config)),
      { name: 'arithmetic', description: '', problems, reported: [] },
      samples,
    );
    const v = s.variants[0];
    assert.ok(v);
    // Problems 0–3 right twice, problem 4 right once of two, 5–9 wrong: (4 + 0.5) / 10.
    assert.equal(v.pass1.mean, 0.45);
    // Per-problem accuracies 1,1,1,1,0.5,0,0,0,0,0: Σ(p − 0.45)² = 4·0.3025 + 0.0025 + 5·0.2025 = 2.225.
    assert.ok(Math.abs((v.pass1.se ?? 0) - Math.sqrt(2.225 / 9 / 10)) < 1e-12);
    // Problem 4's second sample has no answer and does not vote: 5 majorities are right.
    assert.equal(v.cons?.mean, 0.5);
    assert.equal(v.noAnswer, 1);
    // Levels cycle 1, 2, 3: L1 = problems 0, 3, 6, 9 (1, 1, 0, 0), L2 = 1, 4, 7 (1, ½, 0), L3 = 2, 5, 8 (1, 0, 0).
    assert.deepEqual(
      v.byLevel.map((l) => [l.level, l.pass1.mean]),
      [
        [1, 0.5],
        [2, 0.5],
        [3, 1 / 3],
      ],
    );
    assert.equal(v.meanReasoningTokens, 15);
    assert.equal(v.meanAnswerTokens, 5);
    const right = samples.find((x) => x.problemId === problems[0]?.id);
    assert.equal(right?.method, 'boxed');
    assert.match(right?.reason ?? '', /matches/);
    assert.match(right?.rawAnswer ?? '', /So the result is/);
    const wrong = samples.find((x) => x.problemId === problems[9]?.id);
    assert.equal(wrong?.correct, false);
    assert.match(wrong?.reason ?? '', /≠ expected/);
    // Not on the owner's daily chat meter (the run accounts for its own tokens).
    assert.deepEqual(await store.usage.totals(userId, new Date(0)), { reasoningMessages: 0, tokens: 0 });
    // The reports render (text, Markdown, HTML with inline SVG and no external asset).
    const html = EvalService.render(s, 'html');
    assert.match(html, /<svg[^>]+xmlns/);
    assert.doesNotMatch(html, /<script|src=|href=/i);
    assert.match(
      EvalService.render(s, 'markdown'),
      /\| scripted-r1 \| default \| 20 \| 45\.0 ± 15\.7 \| 50\.0 ± 16\.7 \(k=2\)/,
    );
    assert.match(EvalService.render(s, 'text'), /pass@1 % ± SE/);
  });

  test('a stopped run resumes: finished samples are never asked again', async () => {
    mode = 'all-right';
    const run = await runner.create(userId, {
      suite: SUITE,
      models: ['scripted-r1'],
      budgets: ['default', '64'],
      k: 2,
      maxTokens: 1024,
      concurrency: 2,
    });
    assert.equal(run.total, 40);
    const stop = new AbortController();
    const first = up.chatRequests.length;
    const stopped = await runner.run(run.id, {
      signal: stop.signal,
      onProgress: (p) => {
        if (p.done >= 7) stop.abort();
      },
    });
    assert.equal(stopped.status, 'stopped');
    assert.ok(stopped.done >= 7 && stopped.done < 40);
    const storedKeys = new Set(
      (await store.evals.sampleKeys(run.id)).map((k) => `${k.variant}/${k.problemId}/${k.sampleIndex}`),
    );
    assert.equal(storedKeys.size, stopped.done);
    const mid = pipeline.prepared;
    const finished = await runner.run(run.id);
    assert.equal(finished.status, 'done');
    assert.equal(finished.done, 40);
    assert.equal(pipeline.prepared - mid, 40 - stopped.done, 'only the missing samples were asked');
    // The budget went to the upstream as its reasoning budget.
    const budgets = up.chatRequests.slice(first).map((r) => JSON.stringify(r.body));
    assert.ok(budgets.some((b) => b.includes('64')));
  });

  test('configs are checked: unknown plan, bad budget, unknown model fails the run with the reason', async () => {
    await assert.rejects(
      runner.create(userId, { suite: SUITE, models: ['m'], budgets: ['lots'] }),
      /budgets/,
    );
    await assert.rejects(
      runner.create(userId, { suite: SUITE, models: ['m'], budgets: ['default'], plan: 'nope' }),
      /plan "nope" is not configured/,
    );
    await assert.rejects(
      runner.create(userId, {
        suite: { type: 'file', file: 'missing.jsonl' },
        models: ['m'],
        budgets: ['default'],
      }),
      /cannot read/,
    );
    await assert.rejects(
      runner.create(userId, {
        suite: { type: 'standard', name: 'math500' },
        models: ['m'],
        budgets: ['default'],
      }),
      /not downloaded yet/,
    );
    // A file suite edited after the run started: resuming it would mix two suites, so it refuses.
    const file = join(dataDir, 'mine.jsonl');
    writeFileSync(file, '{"problem":"1+1?","answer":"2"}\n');
    const fileRun = await runner.create(userId, {
      suite: { type: 'file', file },
      models: ['m'],
      budgets: ['default'],
    });
    writeFileSync(file, '{"problem":"1+1?","answer":"3"}\n');
    const refused = await runner.run(fileRun.id);
    assert.equal(refused.status, 'failed');
    assert.match(refused.error ?? '', /problems changed since this run started/);
    const run = await runner.create(userId, {
      suite: { ...SUITE, count: 2 },
      models: ['no-such-model'],
      budgets: ['default'],
    });
    const failed = await runner.run(run.id);
    assert.equal(failed.status, 'failed');
    assert.match(failed.error ?? '', /no-such-model|not found|unknown/i);
  });
});
