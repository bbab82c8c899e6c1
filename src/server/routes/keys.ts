import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { type ApiKeyCreated, createKeyRequestSchema } from '../../api/auth.ts';
import { clientInfo, requireUser } from '../auth/plugin.ts';
import type { AppContext } from '../context.ts';
import { notFound } from '../errors.ts';
import { parseWith } from '../validation.ts';
import { keyView } from './views.ts';

const idParams = z.object({ id: z.string().min(1).max(100) });

/** `/api/keys` (docs/web-api.md § keys). */
export async function keyRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get('/api/keys', async (request) => {
    const user = requireUser(request);
    return { keys: (await ctx.apiKeys.list(user.id)).map(keyView) };
  });

  app.post('/api/keys', async (request, reply) => {
    const user = requireUser(request);
    const { name } = parseWith(createKeyRequestSchema, request.body);
    const created = await ctx.apiKeys.create(user.id, name, clientInfo(request).ip);
    const answer: ApiKeyCreated = { ...keyView(created.record), key: created.key };
    return reply.code(201).header('cache-control', 'no-store').send(answer);
  });

  app.delete('/api/keys/:id', async (request, reply) => {
    const user = requireUser(request);
    const { id } = parseWith(idParams, request.params, 'id');
    if (!(await ctx.apiKeys.revoke(user.id, id, clientInfo(request).ip))) throw notFound('No such key.');
    return reply.code(204).send();
  });
}
