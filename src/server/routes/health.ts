import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.ts';

/** `/healthz` (the process answers) and `/readyz` (store open and default model ready). */
export async function healthRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const publicRoute = { config: { public: true } };
  app.get('/healthz', publicRoute, async () => ({ ok: true }));

  app.get('/readyz', publicRoute, async (_request, reply) => {
    let storeOk = false;
    try {
      // `select 1` on PostgreSQL; on SQLite a count (its integrity check reads the whole file).
      if (ctx.store.dialect === 'postgres') storeOk = (await ctx.store.integrityCheck()).ok;
      else storeOk = (await ctx.store.users.count()) >= 0;
    } catch {
      storeOk = false;
    }
    const model = ctx.modelStatus();
    const draining = ctx.lifecycle.draining;
    const ready = storeOk && model.state === 'ready' && !draining;
    const modelView = {
      state: model.state,
      ...(model.model !== undefined ? { model: model.model } : {}),
      ...(model.downloadProgress !== undefined ? { downloadProgress: model.downloadProgress } : {}),
      ...(model.detail !== undefined ? { detail: model.detail } : {}),
    };
    return reply
      .code(ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({
        ready,
        store: storeOk ? 'open' : 'unavailable',
        model: modelView,
        ...(draining ? { draining: true } : {}),
      });
  });
}
