/** `/api/conversations` and `/api/export` (docs/web-api.md § Conversations). */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  continueBodySchema,
  createConversationBodySchema,
  exportQuerySchema,
  listConversationsQuerySchema,
  regenerateBodySchema,
  renameConversationBodySchema,
  searchQuerySchema,
  sendMessageBodySchema,
} from '../../api/conversations.ts';
import { requireUser } from '../auth/plugin.ts';
import type { AppContext } from '../context.ts';
import { parseWith } from '../validation.ts';
import { streamGeneration, withChatErrors } from './chat-core.ts';

const idParams = z.object({ id: z.string().min(1).max(100) });
const messageParams = z.object({ id: z.string().min(1).max(100), messageId: z.string().min(1).max(100) });

export async function conversationRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { conversations, chat } = ctx.services;

  app.get('/api/conversations', async (request) => {
    const user = requireUser(request);
    const { limit, cursor } = parseWith(listConversationsQuerySchema, request.query, 'query');
    return withChatErrors(() => conversations.list(user.id, cursor ? { limit, cursor } : { limit }));
  });

  app.get('/api/conversations/search', async (request) => {
    const user = requireUser(request);
    const { q } = parseWith(searchQuerySchema, request.query, 'q');
    return withChatErrors(() => conversations.search(user.id, q));
  });

  app.post('/api/conversations', async (request, reply) => {
    const user = requireUser(request);
    const body = parseWith(createConversationBodySchema, request.body ?? undefined);
    const created = await withChatErrors(() => conversations.create(user.id, body?.title));
    return reply.code(201).send(created);
  });

  app.get('/api/conversations/:id', async (request, reply) => {
    const user = requireUser(request);
    const { id } = parseWith(idParams, request.params, 'id');
    const detail = await withChatErrors(() => conversations.get(user.id, id));
    return reply.header('cache-control', 'no-store').send(detail);
  });

  app.patch('/api/conversations/:id', async (request) => {
    const user = requireUser(request);
    const { id } = parseWith(idParams, request.params, 'id');
    const { title } = parseWith(renameConversationBodySchema, request.body);
    return withChatErrors(() => conversations.rename(user.id, id, title));
  });

  app.delete('/api/conversations/:id', async (request, reply) => {
    const user = requireUser(request);
    const { id } = parseWith(idParams, request.params, 'id');
    await withChatErrors(() => conversations.delete(user.id, id));
    return reply.code(204).send();
  });

  app.get('/api/conversations/:id/export', async (request, reply) => {
    const user = requireUser(request);
    const { id } = parseWith(idParams, request.params, 'id');
    const { format } = parseWith(exportQuerySchema, request.query, 'format');
    const file = await withChatErrors(() => conversations.export(user.id, id, format));
    return reply
      .header('content-type', file.contentType)
      .header('content-disposition', file.disposition)
      .header('cache-control', 'no-store')
      .send(file.body);
  });

  app.get('/api/export', async (request, reply) => {
    const user = requireUser(request);
    const file = await withChatErrors(() => conversations.exportAll(user.id));
    return reply
      .header('content-type', file.contentType)
      .header('content-disposition', file.disposition)
      .header('cache-control', 'no-store')
      .send(file.body);
  });

  app.post('/api/conversations/:id/messages', async (request, reply) => {
    const user = requireUser(request);
    const { id } = parseWith(idParams, request.params, 'id');
    const body = parseWith(sendMessageBodySchema, request.body);
    const started = await withChatErrors(() => chat.send({ id: user.id, plan: user.plan }, id, body));
    await streamGeneration(ctx, reply, user.id, started.generationId, 0);
    return reply;
  });

  app.post('/api/conversations/:id/messages/:messageId/continue', async (request, reply) => {
    const user = requireUser(request);
    const { id, messageId } = parseWith(messageParams, request.params, 'id');
    const body = parseWith(continueBodySchema, request.body ?? undefined);
    const started = await withChatErrors(() =>
      chat.continue({ id: user.id, plan: user.plan }, id, messageId, body),
    );
    await streamGeneration(ctx, reply, user.id, started.generationId, 0);
    return reply;
  });

  app.post('/api/conversations/:id/messages/:messageId/regenerate', async (request, reply) => {
    const user = requireUser(request);
    const { id, messageId } = parseWith(messageParams, request.params, 'id');
    const body = parseWith(regenerateBodySchema, request.body ?? undefined);
    const started = await withChatErrors(() =>
      chat.regenerate({ id: user.id, plan: user.plan }, id, messageId, body),
    );
    await streamGeneration(ctx, reply, user.id, started.generationId, 0);
    return reply;
  });
}
