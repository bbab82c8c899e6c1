/**
 * `/api/generations/:id/events` (reattach), `/api/generations/:id/stop` and `/api/generations/:id/answer-now`
 * (docs/web-api.md § Generations).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { confirmToolBodySchema } from '../../api/conversations.ts';
import { requireUser } from '../auth/plugin.ts';
import type { AppContext } from '../context.ts';
import { notFound } from '../errors.ts';
import { parseWith } from '../validation.ts';
import { endThinking, stopGeneration, streamGeneration } from './chat-core.ts';

const idParams = z.object({ id: z.string().min(1).max(100) });
const confirmParams = z.object({ id: z.string().min(1).max(100), callId: z.string().min(1).max(256) });

/** `Last-Event-ID` header, else `?lastEventId=`; anything that is not a small non-negative integer means 0. */
export function lastEventId(request: FastifyRequest): number {
  const header = request.headers['last-event-id'];
  const query = (request.query as Record<string, unknown> | undefined)?.lastEventId;
  const raw =
    typeof header === 'string' && header.trim() !== '' ? header : typeof query === 'string' ? query : '';
  return /^\d{1,9}$/.test(raw.trim()) ? Number(raw.trim()) : 0;
}

export async function generationRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get('/api/generations/:id/events', async (request, reply) => {
    const user = requireUser(request);
    const { id } = parseWith(idParams, request.params, 'id');
    // Ownership from the store: another user's id is exactly like an unknown one.
    if (!(await ctx.store.generations.get(id, user.id))) throw notFound('No such generation.');
    await streamGeneration(ctx, reply, user.id, id, lastEventId(request));
    return reply;
  });

  app.post('/api/generations/:id/stop', async (request) => {
    const user = requireUser(request);
    const { id } = parseWith(idParams, request.params, 'id');
    if (!(await stopGeneration(ctx, user.id, id))) throw notFound('No such generation.');
    return { stopped: true as const };
  });

  app.post('/api/generations/:id/tools/:callId/confirm', async (request) => {
    const user = requireUser(request);
    const { id, callId } = parseWith(confirmParams, request.params, 'id');
    const { approve } = parseWith(confirmToolBodySchema, request.body ?? {}, 'approve');
    // Only the instance running the generation holds the waiting call (see docs/scaling.md).
    if (!ctx.services.chat.confirmTool(user.id, id, callId, approve))
      throw notFound('No tool call waits for this.');
    return { approved: approve };
  });

  app.post('/api/generations/:id/answer-now', async (request) => {
    const user = requireUser(request);
    const { id } = parseWith(idParams, request.params, 'id');
    if (!(await endThinking(ctx, user.id, id))) throw notFound('No such generation.');
    return { answering: true as const };
  });
}
