/**
 * `ponder eval` from the admin API, end to end on the embedded generated model with admission and
 * quotas wired as `ponder serve` does (score ≈ 0 is expected: the pipeline, storage, stop/resume and the
 * reports are what is tested). Non-admins get 404 like every admin route.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestServer, type TestServer } from '../src/server/testing.ts';

interface RunView {
  id: string;
  status: string;
  done: number;
  total: number;
  active: boolean;
}

describe('eval through the admin API (embedded tiny model)', () => {
  let s: TestServer;
  let admin: string;
  let user: string;

  before(async () => {
    s = await startTestServer({ withModel: true, capacity: true });
    admin = (await s.signup('admin@example.test')).cookie;
    user = (await s.signup('user@example.test')).cookie;
  });
  after(() => s?.close());

  async function view(id: string, cookie = admin) {
    const res = await s.request(`/api/admin/eval/runs/${id}`, { cookie });
    return {
      status: res.status,
      body: (await res.json()) as {
        run: RunView;
        summary: { variants: Array<{ samples: number; pass1: { mean: number } }> };
      },
    };
  }

  async function until(id: string, ok: (r: RunView) => boolean): Promise<RunView> {
    for (let i = 0; i < 600; i++) {
      const { body } = await view(id);
      if (ok(body.run)) return body.run;
      await sleep(100);
    }
    throw new Error('the run did not get there in time');
  }

  test('start, watch, stop, resume, report; the eval plan admits it; users get 404', async () => {
    const suites = (await (await s.request('/api/admin/eval/suites', { cookie: admin })).json()) as {
      plan: string | null;
      standard: Array<{ name: string }>;
    };
    assert.equal(suites.plan, 'eval');
    assert.deepEqual(
      suites.standard.map((x) => x.name),
      ['gsm8k', 'math500', 'aime2024', 'aime2025'],
    );

    const body = {
      suite: { type: 'generated', name: 'dates', seed: 3, count: 3 },
      models: ['tiny'],
      budgets: ['default', '2'],
      k: 2,
      maxTokens: 6,
    };
    assert.equal(
      (await s.request('/api/admin/eval/runs', { method: 'POST', cookie: user, json: body })).status,
      404,
    );
    const bad = await s.request('/api/admin/eval/runs', {
      method: 'POST',
      cookie: admin,
      json: { ...body, suite: { type: 'file', file: '/etc/passwd' } },
    });
    assert.equal(bad.status, 400);
    const unknown = await s.request('/api/admin/eval/runs', {
      method: 'POST',
      cookie: admin,
      json: { ...body, temperature: 1 },
    });
    assert.equal(unknown.status, 400);
    assert.match(JSON.stringify(await unknown.json()), /temperature/);

    const started = await s.request('/api/admin/eval/runs', { method: 'POST', cookie: admin, json: body });
    assert.equal(started.status, 202);
    const { run } = (await started.json()) as { run: RunView };
    assert.equal(run.total, 12);
    assert.equal((await view(run.id, user)).status, 404);

    await until(run.id, (r) => r.done >= 2);
    const stop = await s.request(`/api/admin/eval/runs/${run.id}/stop`, { method: 'POST', cookie: admin });
    assert.equal(stop.status, 200);
    const stopped = ((await stop.json()) as { run: RunView }).run;
    assert.equal(stopped.status, 'stopped');
    assert.ok(stopped.done >= 2 && stopped.done < 12);
    const before = await s.store.evals.listSamples(run.id);
    assert.equal(
      (await s.request(`/api/admin/eval/runs/${run.id}/stop`, { method: 'POST', cookie: admin })).status,
      409,
    );

    const resumed = await s.request(`/api/admin/eval/runs/${run.id}/resume`, {
      method: 'POST',
      cookie: admin,
    });
    assert.equal(resumed.status, 202);
    const finished = await until(run.id, (r) => !r.active && r.status !== 'running');
    assert.equal(finished.status, 'done');
    assert.equal(finished.done, 12);
    const afterSamples = await s.store.evals.listSamples(run.id);
    for (const b of before) {
      const same = afterSamples.find(
        (x) => x.variant === b.variant && x.problemId === b.problemId && x.sampleIndex === b.sampleIndex,
      );
      assert.equal(same?.createdAt.getTime(), b.createdAt.getTime());
    }
    const { body: detail } = await view(run.id);
    assert.deepEqual(
      detail.summary.variants.map((v) => v.samples),
      [6, 6],
    );

    const html = await s.request(`/api/admin/eval/runs/${run.id}/report?format=html`, { cookie: admin });
    assert.equal(html.status, 200);
    assert.match(html.headers.get('content-disposition') ?? '', /attachment/);
    const page = await html.text();
    assert.match(page, /Thinking-budget curve/);
    assert.doesNotMatch(page, /<script|src=/i);
    const svg = await s.request(`/api/admin/eval/runs/${run.id}/curve.svg?x=seconds`, { cookie: admin });
    assert.equal(svg.headers.get('content-type'), 'image/svg+xml');
    assert.match(await svg.text(), /seconds per sample/);
    assert.equal(
      (await s.request(`/api/admin/eval/runs/${run.id}/report?format=pdf`, { cookie: admin })).status,
      400,
    );

    const samples = (await (
      await s.request(`/api/admin/eval/runs/${run.id}/samples?variant=tiny%7C2&limit=2`, { cookie: admin })
    ).json()) as {
      total: number;
      samples: Array<{ variant: string; expected: string; reason: string; rawAnswer: string }>;
    };
    assert.equal(samples.total, 6);
    assert.equal(samples.samples.length, 2);
    assert.ok(
      samples.samples.every(
        (x) => x.variant === 'tiny|2' && x.expected && x.reason && typeof x.rawAnswer === 'string',
      ),
    );
    assert.equal(
      (await s.request(`/api/admin/eval/runs/${run.id}/samples?limit=0`, { cookie: admin })).status,
      400,
    );
    assert.equal((await s.request(`/api/admin/eval/runs/${run.id}/samples`, { cookie: user })).status, 404);

    const list = (await (await s.request('/api/admin/eval/runs', { cookie: admin })).json()) as {
      runs: RunView[];
    };
    assert.ok(list.runs.some((r) => r.id === run.id));
    assert.equal(
      (await s.request(`/api/admin/eval/runs/${run.id}`, { method: 'DELETE', cookie: admin })).status,
      204,
    );
    assert.equal((await view(run.id)).status, 404);
    const audited = (await s.store.audit.list({ limit: 50 })).map((a) => a.event);
    assert.ok(audited.includes('eval_run_started') && audited.includes('eval_run_deleted'));

    // A length limit above the model's context fails the run at once, saying what to change.
    const tooLong = await s.request('/api/admin/eval/runs', {
      method: 'POST',
      cookie: admin,
      json: { ...body, maxTokens: 900_000 },
    });
    const long = ((await tooLong.json()) as { run: RunView }).run;
    const failed = await until(long.id, (r) => !r.active && r.status !== 'running');
    assert.equal(failed.status, 'failed');
    const detail2 = (await view(long.id)).body.run as RunView & { error: string };
    assert.match(detail2.error, /larger than the model's context.*engine\.contextSize/);
  });
});
