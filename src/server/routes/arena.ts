/**
 * The arena (docs/web-api.md § Arena): `POST /api/arena/battles` asks two anonymous models at once,
 * `GET …/sides/:side/events` streams each side (SSE, reattach with `Last-Event-ID`), `…/sides/:side/stop`
 * stops one, `POST …/vote` votes and reveals; `GET /api/admin/arena/leaderboard` for admins. Battles are
 * the owner's: another user's id answers 404 like an unknown one.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ARENA_SIDES, createBattleBodySchema, voteBodySchema } from '../../api/arena.ts';
import { ArenaError } from '../../core/arena/arena-service.ts';
import { requireAdmin, requireUser } from '../auth/plugin.ts';
import type { AppContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { SseStream } from '../sse.ts';
import { parseWith } from '../validation.ts';
import { withChatErrors } from './chat-core.ts';
import { lastEventId } from './generations.ts';

const idParams = z.object({ id: z.string().min(1).max(100) });
const sideParams = z.object({ id: z.string().min(1).max(100), side: z.enum(ARENA_SIDES) });

/** Arena refusals to HTTP; the chat's own (quota, model, overload) through `withChatErrors`. */
async function withArenaErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await withChatErrors(fn);
  } catch (err) {
    if (!(err instanceof ArenaError)) throw err;
    switch (err.code) {
      case 'not_found':
        throw new HttpError(404, 'not_found', err.message);
      case 'conflict':
        throw new HttpError(409, 'conflict', err.message);
      case 'unavailable':
        throw new HttpError(409, 'arena_unavailable', err.message);
      default:
        return err.code satisfies never;
    }
  }
}

export async function arenaRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { arena } = ctx.services;
  /** The battle's ownership first (404 for another user's, whatever the side), then the side (400). */
  const ownSide = async (userId: string, params: unknown) => {
    const { id } = parseWith(idParams, params, 'id');
    await withArenaErrors(() => arena.get(userId, id));
    return parseWith(sideParams, params, 'side');
  };

  app.post('/api/arena/battles', async (request, reply) => {
    const user = requireUser(request);
    const body = parseWith(createBattleBodySchema, request.body);
    const battle = await withArenaErrors(() => arena.start({ userId: user.id, plan: user.plan }, body));
    return reply.code(201).header('cache-control', 'no-store').send({ battle });
  });

  app.get('/api/arena/battles/:id', async (request, reply) => {
    const user = requireUser(request);
    const { id } = parseWith(idParams, request.params, 'id');
    const battle = await withArenaErrors(() => arena.get(user.id, id));
    return reply.header('cache-control', 'no-store').send({ battle });
  });

  app.get('/api/arena/battles/:id/sides/:side/events', async (request, reply) => {
    const user = requireUser(request);
    const { id, side } = await ownSide(user.id, request.params);
    const pingMs = ctx.deps.chat?.ssePingMs;
    const sse = new SseStream(reply, pingMs === undefined ? {} : { pingMs });
    try {
      await sse.pipe(await arena.events(user.id, id, side, lastEventId(request), sse.signal));
    } catch (err) {
      reply.log.warn({ battleId: id, side, err: (err as Error)?.name }, 'arena stream failed');
      sse.end();
    }
    return reply;
  });

  app.post('/api/arena/battles/:id/sides/:side/stop', async (request) => {
    const user = requireUser(request);
    const { id, side } = await ownSide(user.id, request.params);
    await withArenaErrors(() => arena.stop(user.id, id, side));
    return { stopped: true as const };
  });

  app.post('/api/arena/battles/:id/vote', async (request) => {
    const user = requireUser(request);
    const { id } = parseWith(idParams, request.params, 'id');
    const { vote } = parseWith(voteBodySchema, request.body ?? {}, 'vote');
    const battle = await withArenaErrors(() => arena.vote(user.id, id, vote));
    return { battle };
  });

  app.get('/api/admin/arena/leaderboard', { config: { admin: true } }, async (request, reply) => {
    requireAdmin(request);
    return reply.header('cache-control', 'no-store').send(await arena.leaderboard());
  });
}
