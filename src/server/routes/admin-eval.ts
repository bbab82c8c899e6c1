/**
 * `ponder eval` on the admin page (admin only): suites, starting a run, watching its progress, stopping,
 * resuming and deleting it, and its report (JSON summary, Markdown, a standalone HTML page, the budget
 * curve as SVG). Runs execute in this instance in the background (see `EvalService`); from the web only
 * generated suites and the standard ones (downloaded through the guarded fetcher) can be named — a
 * server-side file path is for the CLI.
 */

import { existsSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { audit } from '../../core/accounts/audit.ts';
import { EvalService, type ReportFormat } from '../../core/eval/eval-service.ts';
import { expectedAnswers, judgedSample } from '../../core/eval/judged-sample.ts';
import { curveSvg } from '../../core/eval/report-html.ts';
import {
  generatedSuiteSchema,
  priceSchema,
  runConfigSchema,
  standardSuiteSchema,
} from '../../core/eval/run-config.ts';
import { EvalRunError, EvalRunner, parseRunConfig } from '../../core/eval/runner.ts';
import { cachedSuitePath, SUITE_URLS } from '../../core/eval/suites/download.ts';
import { REPORTED } from '../../core/eval/suites/reported.ts';
import { GENERATED_SUITES, STANDARD_SUITES, SuiteError } from '../../core/eval/suites/types.ts';
import { createGuardedFetch } from '../../inference/net/guarded-fetch.ts';
import type { EvalRunRecord } from '../../store/types.ts';
import { clientInfo, requireAdmin } from '../auth/plugin.ts';
import type { AppContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { parseWith } from '../validation.ts';

/** A server-side file path is for the CLI: the web names generated suites and the standard ones only. */
const webSuite = z.discriminatedUnion('type', [
  generatedSuiteSchema,
  standardSuiteSchema.omit({ file: true }),
]);

const startBody = z.strictObject({
  name: z.string().trim().max(200).optional(),
  suite: webSuite,
  models: runConfigSchema.shape.models,
  budgets: z.array(z.string().min(1).max(20)).min(1).max(16).default(['default']),
  k: z.int().min(1).max(256).optional(),
  maxTokens: z.int().min(1).max(1_000_000).optional(),
  concurrency: z.int().min(1).max(64).optional(),
  /** USD per million input/output tokens per model id, for the report's cost column. */
  prices: z.record(z.string().max(300), priceSchema).optional(),
});
const idParams = z.object({ id: z.string().min(1).max(100) });
const reportQuery = z.strictObject({ format: z.enum(['json', 'markdown', 'html', 'text']).default('json') });
const curveQuery = z.strictObject({ x: z.enum(['tokens', 'seconds']).default('tokens') });
const samplesQuery = z.strictObject({
  variant: z.string().min(1).max(400).optional(),
  correct: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

function runView(run: EvalRunRecord, service: EvalService) {
  return {
    id: run.id,
    name: run.name,
    status: run.status,
    error: run.error,
    done: run.done,
    total: run.total,
    active: service.isActive(run.id),
    createdAt: run.createdAt.toISOString(),
    updatedAt: run.updatedAt.toISOString(),
  };
}

function evalError(err: unknown): never {
  if (err instanceof EvalRunError)
    throw new HttpError(
      err.code === 'not_found' ? 404 : err.code === 'busy' ? 409 : 400,
      err.code === 'busy' ? 'conflict' : err.code,
      err.message,
    );
  if (err instanceof SuiteError)
    throw new HttpError(400, 'invalid_request', err.message, { details: { field: 'suite' } });
  throw err;
}

export async function adminEvalRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const adminRoute = { config: { admin: true } };
  const runner = new EvalRunner({
    store: ctx.store,
    pipeline: ctx.services.pipeline,
    plans: ctx.plans,
    suites: {
      dataDir: ctx.config.dataDir,
      cwd: ctx.config.dataDir,
      fetch: createGuardedFetch({
        allowPrivateHosts: ctx.config.fetch.allowPrivateHosts,
        maxBytes: 64 * 1024 * 1024,
        timeoutMs: 30_000,
      }),
    },
  });
  const service = new EvalService(runner, (err) =>
    app.log.warn({ err: (err as Error)?.name }, 'eval run failed'),
  );
  ctx.shutdownHooks.add('eval', () => service.close());

  async function runOr404(id: string): Promise<EvalRunRecord> {
    const run = await ctx.store.evals.getRun(id);
    if (!run) throw new HttpError(404, 'not_found', 'No such eval run.');
    return run;
  }

  app.get('/api/admin/eval/suites', adminRoute, async () => ({
    generated: GENERATED_SUITES.map((name) => ({ name, levels: [1, 2, 3] })),
    standard: STANDARD_SUITES.map((name) => ({
      name,
      urls: SUITE_URLS[name],
      downloaded: existsSync(cachedSuitePath(ctx.config.dataDir, name)),
      reported: REPORTED[name],
    })),
    plan: ctx.plans.has('eval') ? 'eval' : null,
  }));

  app.get('/api/admin/eval/runs', adminRoute, async () => ({
    runs: (await ctx.store.evals.listRuns({ limit: 100 })).map((r) => runView(r, service)),
  }));

  app.post('/api/admin/eval/runs', adminRoute, async (request, reply) => {
    const actor = requireAdmin(request);
    const { name, ...config } = parseWith(startBody, request.body);
    const run = await service.start(actor.id, config, name).catch(evalError);
    void audit(ctx.store, ctx.deps.logger, 'eval_run_started', {
      userId: actor.id,
      ip: clientInfo(request).ip,
      detail: { runId: run.id, suite: config.suite.name, models: config.models.length, samples: run.total },
    });
    return reply.code(202).send({ run: runView(run, service) });
  });

  app.get('/api/admin/eval/runs/:id', adminRoute, async (request) => {
    const { id } = parseWith(idParams, request.params, 'id');
    const run = await runOr404(id);
    const samples = await ctx.store.evals.listSamples(run.id);
    const summary = await service.summary(run, samples).catch(evalError);
    return { run: runView(run, service), progress: service.progress(run.id), summary };
  });

  app.post('/api/admin/eval/runs/:id/resume', adminRoute, async (request, reply) => {
    const { id } = parseWith(idParams, request.params, 'id');
    const run = await runOr404(id);
    await service.resume(run.id).catch(evalError);
    return reply.code(202).send({ run: runView(run, service) });
  });

  app.post('/api/admin/eval/runs/:id/stop', adminRoute, async (request, reply) => {
    const { id } = parseWith(idParams, request.params, 'id');
    const run = await runOr404(id);
    if (!service.stop(run.id))
      throw new HttpError(409, 'conflict', 'This run is not running on this server.');
    await service.settled(run.id);
    return reply.code(200).send({ run: runView((await ctx.store.evals.getRun(run.id)) ?? run, service) });
  });

  app.delete('/api/admin/eval/runs/:id', adminRoute, async (request, reply) => {
    const { id } = parseWith(idParams, request.params, 'id');
    const run = await runOr404(id);
    if (service.isActive(run.id)) throw new HttpError(409, 'conflict', 'Stop the run before deleting it.');
    await ctx.store.evals.deleteRun(run.id);
    void audit(ctx.store, ctx.deps.logger, 'eval_run_deleted', {
      userId: requireAdmin(request).id,
      ip: clientInfo(request).ip,
      detail: { runId: run.id },
    });
    return reply.code(204).send();
  });

  app.get('/api/admin/eval/runs/:id/report', adminRoute, async (request, reply) => {
    const { id } = parseWith(idParams, request.params, 'id');
    const { format } = parseWith(reportQuery, request.query, 'query');
    const run = await runOr404(id);
    const summary = await service.summary(run, await ctx.store.evals.listSamples(run.id)).catch(evalError);
    const body = EvalService.render(summary, format as ReportFormat);
    const types: Record<ReportFormat, [string, string]> = {
      json: ['application/json; charset=utf-8', 'json'],
      markdown: ['text/markdown; charset=utf-8', 'md'],
      html: ['text/html; charset=utf-8', 'html'],
      text: ['text/plain; charset=utf-8', 'txt'],
    };
    const [type, ext] = types[format as ReportFormat];
    // A download, never rendered in the app's origin (the HTML page has its own inline style).
    return reply
      .header('content-type', type)
      .header('content-disposition', `attachment; filename="eval-${run.id}.${ext}"`)
      .send(body);
  });

  // Each sample as judged: the model's answer, what was extracted, the reference and why (to audit the checker).
  app.get('/api/admin/eval/runs/:id/samples', adminRoute, async (request) => {
    const { id } = parseWith(idParams, request.params, 'id');
    const q = parseWith(samplesQuery, request.query, 'query');
    const run = await runOr404(id);
    const suite = await runner.suiteOf(parseRunConfig(JSON.parse(run.config))).catch(evalError);
    const expected = expectedAnswers(suite);
    const all = (await ctx.store.evals.listSamples(run.id)).filter(
      (x) => (!q.variant || x.variant === q.variant) && (!q.correct || String(x.correct) === q.correct),
    );
    return {
      total: all.length,
      samples: all.slice(q.offset, q.offset + q.limit).map((x) => ({
        ...judgedSample(x, expected),
        reasoningTokens: x.reasoningTokens,
        answerTokens: x.answerTokens,
        ttftMs: x.ttftMs,
        durationMs: x.durationMs,
        rawAnswer: x.rawAnswer,
      })),
    };
  });

  app.get('/api/admin/eval/runs/:id/curve.svg', adminRoute, async (request, reply) => {
    const { id } = parseWith(idParams, request.params, 'id');
    const { x } = parseWith(curveQuery, request.query, 'query');
    const run = await runOr404(id);
    const summary = await service.summary(run, await ctx.store.evals.listSamples(run.id)).catch(evalError);
    const svg =
      x === 'tokens'
        ? curveSvg(summary.variants, (v) => v.meanReasoningTokens, 'mean reasoning tokens per sample')
        : curveSvg(summary.variants, (v) => v.meanSeconds, 'seconds per sample');
    return reply.header('content-type', 'image/svg+xml').header('cache-control', 'no-store').send(svg);
  });
}
