/**
 * Every route plugin of the app, registered in this order. A plugin is a function of the app and the
 * shared `AppContext`; routes are protected by default (see `auth/plugin.ts` for `public` / `admin`).
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.ts';
import { adminRoutes } from './admin.ts';
import { adminEvalRoutes } from './admin-eval.ts'; // ponder eval (issue 15)
import { adminModelRoutes } from './admin-models.ts';
import { arenaRoutes } from './arena.ts';
import { authRoutes } from './auth.ts';
import { capacityRoutes } from './capacity.ts';
import { conversationRoutes } from './conversations.ts';
import { documentRoutes } from './documents.ts';
import { embeddingRoutes } from './embeddings.ts';
import { generationRoutes } from './generations.ts';
import { healthRoutes } from './health.ts';
import { keyRoutes } from './keys.ts';
import { modelRoutes } from './models.ts';
import { oidcRoutes } from './oidc.ts';
import { v1Routes } from './v1.ts';
import { v1MessagesRoutes } from './v1-messages.ts';
import { v1ResponseRoutes } from './v1-responses.ts';

export type RoutePlugin = (app: FastifyInstance, ctx: AppContext) => Promise<void> | void;

export const ROUTE_PLUGINS: readonly RoutePlugin[] = [
  healthRoutes,
  authRoutes,
  oidcRoutes, // single sign-on (issue 14)
  keyRoutes,
  adminRoutes,
  adminModelRoutes,
  adminEvalRoutes, // ponder eval (issue 15)
  conversationRoutes,
  generationRoutes,
  modelRoutes,
  v1Routes,
  v1ResponseRoutes, // the Responses API (issue 14)
  // POST /v1/embeddings (issue 13).
  embeddingRoutes,
  // The Anthropic Messages API (issue 14).
  v1MessagesRoutes,
  capacityRoutes,
  // The arena (issue 15).
  arenaRoutes,
  // Documents (issue 13): uploads, files, collections, passages.
  documentRoutes,
];
