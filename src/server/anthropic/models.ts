/**
 * `GET /v1/models` and `/v1/models/{id}` in Anthropic's shape, for clients that call them with an
 * `anthropic-version` header (the OpenAI shape otherwise): `{type: 'model', id, display_name, created_at}`
 * and the list's cursor pagination (`limit`, `after_id`, `before_id`, `has_more`, `first_id`, `last_id`).
 */
import type { FastifyRequest } from 'fastify';
import type { ModelInfo } from '../../inference/types.ts';
import { invalidRequest } from './request.ts';

export const wantsAnthropicShape = (request: FastifyRequest): boolean =>
  typeof request.headers['anthropic-version'] === 'string';

export function anthropicModel(m: ModelInfo, createdAt: Date): object {
  return { type: 'model', id: m.id, display_name: m.id, created_at: createdAt.toISOString() };
}

export function anthropicModelList(models: ModelInfo[], createdAt: Date, query: unknown): object {
  const q = (query ?? {}) as Record<string, unknown>;
  const limit = q.limit === undefined ? 20 : Number(q.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw invalidRequest('limit: must be an integer from 1 to 1000.');
  let start = 0;
  let end = models.length;
  if (typeof q.after_id === 'string') start = models.findIndex((m) => m.id === q.after_id) + 1;
  if (typeof q.before_id === 'string')
    end = Math.max(
      0,
      models.findIndex((m) => m.id === q.before_id),
    );
  // `before_id` pages backwards: the `limit` models just before it.
  const page =
    typeof q.before_id === 'string'
      ? models.slice(Math.max(start, end - limit), end)
      : models.slice(start, start + limit);
  const data = page.map((m) => anthropicModel(m, createdAt));
  const last = page.at(-1);
  const hasMore =
    typeof q.before_id === 'string'
      ? end - limit > start
      : last !== undefined && models.indexOf(last) < end - 1;
  return { data, has_more: hasMore, first_id: page[0]?.id ?? null, last_id: last?.id ?? null };
}
