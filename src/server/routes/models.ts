/** `GET /api/models`: every model the providers serve, with its state, and the default model. */
import type { FastifyInstance } from 'fastify';
import type { ModelListEntry, ModelsResponse, ToolsResponse } from '../../api/conversations.ts';
import { requireUser } from '../auth/plugin.ts';
import type { AppContext } from '../context.ts';

export async function modelRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { gateway, pipeline } = ctx.services;
  app.get('/api/tools', async (request, reply) => {
    requireUser(request);
    const body: ToolsResponse = {
      tools: pipeline.tools.list().map((t) => ({
        name: t.definition.name,
        title: t.title,
        description: t.definition.description ?? '',
        readOnly: t.readOnly,
      })),
    };
    return reply.header('cache-control', 'no-store').send(body);
  });

  app.get('/api/models', async (request, reply) => {
    const user = requireUser(request);
    const { models, defaultModel } = await gateway.listModels();
    const body: ModelsResponse = {
      // Embedding models (issue 13) cannot chat: the web app's model picker never offers them.
      models: models.flatMap((m) => {
        if (m.kind === 'embedding') return [];
        const entry: ModelListEntry = { id: m.id, provider: m.provider, state: m.state };
        if (m.downloadProgress !== undefined) entry.downloadProgress = m.downloadProgress;
        if (m.supportsTools) entry.supportsTools = true;
        // Providers' details name file paths and upstream addresses: admins only (the admin pages have more).
        if (m.detail !== undefined) entry.detail = user.isAdmin ? m.detail : userDetail(m.state);
        return [entry];
      }),
      defaultModel,
    };
    return reply.header('cache-control', 'no-store').send(body);
  });
}

function userDetail(state: ModelListEntry['state']): string {
  switch (state) {
    case 'unavailable':
      return 'This model is unavailable right now.';
    case 'loading':
      return 'This model is loading.';
    case 'downloading':
      return 'This model is being downloaded.';
    case 'ready':
      return 'Ready.';
    default:
      return state satisfies never;
  }
}
