/** `GET /api/models`: every model the providers serve, with its state, and the default model. */
import type { FastifyInstance } from 'fastify';
import type { ModelListEntry, ModelsResponse } from '../../api/conversations.ts';
import { requireUser } from '../auth/plugin.ts';
import type { AppContext } from '../context.ts';
import { chatCoreFor } from './chat-core.ts';

export async function modelRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { gateway } = chatCoreFor(ctx);
  app.get('/api/models', async (request, reply) => {
    requireUser(request);
    const { models, defaultModel } = await gateway.listModels();
    const body: ModelsResponse = {
      models: models.map((m) => {
        const entry: ModelListEntry = { id: m.id, provider: m.provider, state: m.state };
        if (m.downloadProgress !== undefined) entry.downloadProgress = m.downloadProgress;
        if (m.detail !== undefined) entry.detail = m.detail;
        return entry;
      }),
      defaultModel,
    };
    return reply.header('cache-control', 'no-store').send(body);
  });
}
