import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  type ApiAdminStatus,
  type ApiAdminUserList,
  adminPatchUserRequestSchema,
  createInviteRequestSchema,
} from '../../api/auth.ts';
import { clientInfo, requireAdmin } from '../auth/plugin.ts';
import type { AppContext } from '../context.ts';
import { parseWith } from '../validation.ts';
import { adminUserView } from './views.ts';

const idParams = z.object({ id: z.string().min(1).max(100) });
const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  offset: z.coerce.number().int().min(0).default(0),
});

/** `/api/admin/*`: users, invites, status. Admins only; everyone else gets 404 (route config). */
export async function adminRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const adminRoute = { config: { admin: true } };

  app.get('/api/admin/users', adminRoute, async (request) => {
    requireAdmin(request);
    const query = parseWith(listQuery, request.query, 'query');
    const list: ApiAdminUserList = {
      users: (await ctx.admin.listUsers(query)).map(adminUserView),
      // The admin page offers these for a user's plan; PATCH refuses any other name.
      plans: Object.keys(ctx.config.plans),
    };
    return list;
  });

  app.patch('/api/admin/users/:id', adminRoute, async (request) => {
    const actor = requireAdmin(request);
    const { id } = parseWith(idParams, request.params, 'id');
    const body = parseWith(adminPatchUserRequestSchema, request.body);
    const user = await ctx.admin.updateUser(actor.id, id, body, clientInfo(request).ip);
    return { user: adminUserView(user) };
  });

  app.delete('/api/admin/users/:id', adminRoute, async (request, reply) => {
    const actor = requireAdmin(request);
    const { id } = parseWith(idParams, request.params, 'id');
    await ctx.admin.deleteUser(actor.id, id, clientInfo(request).ip);
    return reply.code(204).send();
  });

  app.post('/api/admin/invites', adminRoute, async (request, reply) => {
    const actor = requireAdmin(request);
    const body = parseWith(createInviteRequestSchema, request.body);
    const { code, invite } = await ctx.admin.createInvite(
      actor.id,
      body.expiresInHours ? { expiresInMs: body.expiresInHours * 3_600_000 } : {},
      clientInfo(request).ip,
    );
    return reply
      .code(201)
      .header('cache-control', 'no-store')
      .send({ code, id: invite.id, expiresAt: invite.expiresAt.toISOString() });
  });

  app.get('/api/admin/status', adminRoute, async (request) => {
    requireAdmin(request);
    // The same numbers `/metrics` reports, unless the app was given its own source.
    const live = { ...ctx.metrics.status(), ...(await ctx.deps.adminStatus?.()) };
    const status: ApiAdminStatus = {
      slotsBusy: live.slotsBusy ?? 0,
      slotsTotal: live.slotsTotal ?? 0,
      queueDepth: live.queueDepth ?? 0,
      generationsRunning: live.generationsRunning ?? 0,
      uptimeSeconds: live.uptimeSeconds ?? Math.floor((Date.now() - ctx.startedAt.getTime()) / 1000),
    };
    return status;
  });
}
