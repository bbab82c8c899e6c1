/**
 * Admin pages' models and upstreams (docs/web-api.md, "Admin"): GGUF files on disk with their state,
 * background pulls with progress, removal, and the upstream pool's members (never their keys).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ModelAdmin, ModelAdminError } from '../../core/models/model-admin.ts';
import { modelsDirOf } from '../../inference/llama/model-files.ts';
import type { AppContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { parseWith } from '../validation.ts';

const pullBody = z.strictObject({ source: z.string().trim().min(3).max(2048) });
const nameParams = z.object({ name: z.string().min(1).max(200) });
const pullParams = z.object({ pullId: z.uuid() });

/** 404 for what does not exist, 409 for what exists but cannot be removed here. */
function removalError(err: ModelAdminError): HttpError {
  return err.code === 'not_removable'
    ? new HttpError(409, 'not_removable', err.message)
    : new HttpError(404, 'not_found', err.message);
}

export async function adminModelRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const adminRoute = { config: { admin: true } };
  const { gateway } = ctx.services;
  const engine = ctx.deps.engine;
  const models = new ModelAdmin({
    modelsDir: modelsDirOf(ctx.config.dataDir),
    ...(engine ? { engine } : {}),
    served: async () => (await gateway.listModels()).models,
    onChange: () => gateway.invalidate(),
    allowPrivateHosts: ctx.config.fetch.allowPrivateHosts,
    logger: app.log,
  });
  ctx.shutdownHooks.add('model-pulls', async () => models.close());

  app.get('/api/admin/models', adminRoute, async () => ({ models: await models.list() }));

  app.post('/api/admin/models/pull', adminRoute, async (request, reply) => {
    const { source } = parseWith(pullBody, request.body, 'body');
    try {
      const started = await models.pull(source);
      return reply.code(202).send(started);
    } catch (err) {
      if (err instanceof ModelAdminError) {
        throw new HttpError(
          err.code === 'busy' ? 409 : 400,
          err.code === 'busy' ? 'conflict' : 'invalid_request',
          err.message,
          {
            details: { field: 'source' },
          },
        );
      }
      throw err;
    }
  });

  app.delete('/api/admin/models/:name', adminRoute, async (request, reply) => {
    const { name } = parseWith(nameParams, request.params, 'params');
    try {
      await models.remove(name);
    } catch (err) {
      if (err instanceof ModelAdminError) throw removalError(err);
      throw err;
    }
    return reply.code(204).send();
  });

  app.delete('/api/admin/models/pulls/:pullId', adminRoute, async (request, reply) => {
    const { pullId } = parseWith(pullParams, request.params, 'params');
    try {
      models.dismissPull(pullId);
    } catch (err) {
      if (err instanceof ModelAdminError) throw removalError(err);
      throw err;
    }
    return reply.code(204).send();
  });

  app.get('/api/admin/upstreams', adminRoute, async () => ({
    upstreams: (ctx.deps.upstreamPools ?? []).flatMap((pool) =>
      pool.members().map((m) => ({
        id: m.id,
        baseUrl: m.baseUrl,
        models: m.models,
        healthy: m.healthy,
        outstanding: m.outstanding,
        maxConcurrent: m.maxConcurrent,
        circuit: m.circuit,
        ...(m.lastError ? { lastError: m.lastError } : {}),
      })),
    ),
  }));
}
