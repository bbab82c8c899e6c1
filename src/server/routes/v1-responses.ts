/**
 * OpenAI's Responses API (issue 14): `POST /v1/responses` (streamed as semantic events or not),
 * `GET` / `DELETE /v1/responses/{id}` and `GET /v1/responses/{id}/input_items`. Same API keys,
 * admission, quotas, usage ledger and shutdown drain as `/v1/chat/completions` (the completion service);
 * responses are stored per key owner unless `store: false`, encrypted with the owner's data key, and
 * only their owner can read, continue (`previous_response_id`) or delete them (404 for anyone else).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ResponseInputError, type ResponseItem, toChatMessages } from '../../core/responses/items.ts';
import type { StoredResponse } from '../../core/responses/response-service.ts';
import type { ChatChunk } from '../../inference/types.ts';
import { requireUser } from '../auth/plugin.ts';
import type { AppContext } from '../context.ts';
import { HttpError, toHttpError } from '../errors.ts';
import { openAiErrorFormatter, toV1HttpError } from '../openai/errors.ts';
import { newItemId, ResponseBuilder } from '../openai-responses/builder.ts';
import type { PendingItem } from '../openai-responses/input-items.ts';
import { type ParsedResponseRequest, parseResponseBody } from '../openai-responses/request.ts';
import { SseStream } from '../sse.ts';
import { refuseKeyInUrl, startCompletion } from './v1-common.ts';

const notFound = (id: string, param: string | null = null): HttpError =>
  new HttpError(404, 'not_found', `Response with id '${id}' not found.`, { details: { param } });

export async function v1ResponseRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  // The `/v1` error shape is installed by `v1Routes` for the prefix; hooks are per plugin.
  app.addHook('onRequest', refuseKeyInUrl);
  const { responses, pipeline } = ctx.services;

  /** The request's items with any `encrypted_content` opened by the owner's key. */
  async function openItems(userId: string, items: readonly PendingItem[]): Promise<ResponseItem[]> {
    const out: ResponseItem[] = [];
    for (const item of items) {
      if (item.type !== 'sealed_reasoning') {
        out.push(item);
        continue;
      }
      const text = await responses.open(userId, item.sealed);
      if (text === null)
        throw new HttpError(
          400,
          'invalid_request',
          'encrypted_content could not be decrypted: it was not issued to this account by this server.',
          { details: { param: item.param } },
        );
      out.push({ type: 'reasoning', text });
    }
    return out;
  }

  app.post('/v1/responses', async (request, reply) => {
    const user = requireUser(request);
    const parsed = parseResponseBody(request.body, newItemId);
    const id = newItemId('resp');
    let context: ResponseItem[] = [];
    let chainAffinity: string | undefined;
    if (parsed.previousResponseId !== null) {
      const previous = await responses.get(user.id, parsed.previousResponseId);
      if (!previous) throw notFound(parsed.previousResponseId, 'previous_response_id');
      context = [...previous.context, ...previous.output];
      chainAffinity = previous.affinityKey;
    }
    const affinityKey = parsed.promptCacheKey ?? chainAffinity ?? id;
    const own = await openItems(user.id, parsed.input.items);
    let messages: ReturnType<typeof toChatMessages>;
    try {
      messages = toChatMessages(parsed.instructions, [...context, ...own], context.length);
    } catch (err) {
      if (err instanceof ResponseInputError)
        throw new HttpError(400, 'invalid_request', err.message, { details: { param: err.param } });
      throw err;
    }

    const search = parsed.webSearch;
    if (search && !pipeline.tools.has('web_search'))
      throw new HttpError(400, 'invalid_request', 'Web search is not configured on this server.', {
        details: { param: `tools[${search.index}].type` },
      });
    const { first, chunks, controller } = await startCompletion(
      ctx,
      { request, reply, user },
      { ...parsed.request, messages },
      {
        affinityKey,
        // The model decides when to search (Ponder runs it), or the search runs before it answers.
        ...(search?.mode === 'auto' ? { ponderTools: ['web_search'] } : {}),
        ...(search?.mode === 'first' ? { searchFirst: { count: search.count } } : {}),
      },
      toV1HttpError,
    );
    const turn: Turn = {
      userId: user.id,
      id,
      parsed,
      context: [...context, ...own],
      affinityKey,
      first,
      chunks,
      controller,
    };
    if (!parsed.stream) return collect(turn);
    await stream(turn, reply, request);
    return reply;
  });

  app.get<{ Params: { id: string } }>('/v1/responses/:id', async (request) => {
    const user = requireUser(request);
    refuseQuery(request, []);
    const stored = await responses.get(user.id, request.params.id);
    if (!stored) throw notFound(request.params.id);
    return stored.response;
  });

  app.delete<{ Params: { id: string } }>('/v1/responses/:id', async (request) => {
    const user = requireUser(request);
    if (!(await responses.delete(user.id, request.params.id))) throw notFound(request.params.id);
    return { id: request.params.id, object: 'response', deleted: true };
  });

  app.get<{ Params: { id: string } }>('/v1/responses/:id/input_items', async (request) => {
    const user = requireUser(request);
    const query = refuseQuery(request, ['limit', 'order', 'after']);
    const stored = await responses.get(user.id, request.params.id);
    if (!stored) throw notFound(request.params.id);
    return inputItemsPage(stored, query);
  });

  interface Turn {
    userId: string;
    id: string;
    parsed: ParsedResponseRequest;
    context: ResponseItem[];
    affinityKey: string;
    first: IteratorResult<ChatChunk>;
    chunks: AsyncIterator<ChatChunk>;
    controller: AbortController;
  }

  function builderFor(turn: Turn, emit?: (event: Record<string, unknown>) => Promise<void>): ResponseBuilder {
    const { parsed } = turn;
    return new ResponseBuilder({
      base: {
        id: turn.id,
        created_at: Math.floor(Date.now() / 1000),
        model: parsed.request.model,
        ...parsed.echo,
      },
      summary: parsed.summary,
      includeSources: parsed.includeSearchSources,
      ...(parsed.includeEncryptedReasoning
        ? { seal: (text: string) => responses.seal(turn.userId, text) }
        : {}),
      ...(emit ? { emit } : {}),
    });
  }

  async function save(turn: Turn, builder: ResponseBuilder): Promise<void> {
    if (!turn.parsed.store) return;
    const stored: StoredResponse = {
      response: builder.response(),
      context: turn.context,
      inputItems: turn.parsed.input.wire,
      output: builder.items,
      affinityKey: turn.affinityKey,
    };
    await responses.save(turn.userId, turn.id, stored);
  }

  async function collect(turn: Turn): Promise<object> {
    const builder = builderFor(turn);
    let terminal: string | undefined;
    try {
      for (let r = turn.first; !r.done; r = await turn.chunks.next()) {
        const c = r.value;
        if (c.type === 'done') {
          if (c.finishReason === 'error')
            throw new HttpError(502, 'upstream_error', c.error ?? 'The generation failed.');
          terminal = await builder.finish(c.finishReason, c.error);
        } else await builder.push(c);
      }
    } catch (err) {
      turn.controller.abort();
      throw toV1HttpError(err);
    }
    if (!terminal) throw new HttpError(502, 'upstream_error', 'The generation ended unexpectedly.');
    await save(turn, builder);
    return builder.response();
  }

  async function stream(turn: Turn, reply: FastifyReply, request: FastifyRequest): Promise<void> {
    const sse = new SseStream(reply, { pingMs: 10_000 });
    const write = (event: Record<string, unknown>): Promise<void> =>
      sse.writeRaw(`event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`);
    const builder = builderFor(turn, write);
    try {
      await builder.start();
      for (let r = turn.first; !r.done && !sse.closed; r = await turn.chunks.next()) {
        const c = r.value;
        if (c.type === 'queued') await sse.writeRaw(': keep-alive\n\n');
        else if (c.type !== 'done') await builder.push(c);
        else {
          const terminal = await builder.finish(c.finishReason, c.error);
          await save(turn, builder);
          await builder.end(terminal);
        }
      }
    } catch (err) {
      // Headers are gone: report in-band, as OpenAI does, so SDKs raise an APIError.
      const body = openAiErrorFormatter(toHttpError(toV1HttpError(err)), request) as {
        error: { message: string; code: string | null; param: string | null };
      };
      await builder.error(body.error);
    } finally {
      sse.end();
      await turn.chunks.return?.();
    }
  }
}

/** 400 naming any query parameter other than `allowed`; the allowed ones as a map. */
function refuseQuery(request: FastifyRequest, allowed: readonly string[]): Record<string, string> {
  const query = (request.query ?? {}) as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) {
    if (!allowed.includes(key) || typeof value !== 'string')
      throw new HttpError(400, 'invalid_request', `Query parameter '${key}' is not supported here.`, {
        details: { param: key },
      });
    out[key] = value;
  }
  return out;
}

function inputItemsPage(stored: StoredResponse, query: Record<string, string>): object {
  const limit = query.limit === undefined ? 20 : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    throw new HttpError(400, 'invalid_request', 'limit must be an integer from 1 to 100.', {
      details: { param: 'limit' },
    });
  const order = query.order ?? 'desc';
  if (order !== 'asc' && order !== 'desc')
    throw new HttpError(400, 'invalid_request', "order must be 'asc' or 'desc'.", {
      details: { param: 'order' },
    });
  let items = order === 'asc' ? [...stored.inputItems] : [...stored.inputItems].reverse();
  if (query.after !== undefined) {
    const at = items.findIndex((item) => item.id === query.after);
    if (at < 0)
      throw new HttpError(400, 'invalid_request', `No input item with id '${query.after}'.`, {
        details: { param: 'after' },
      });
    items = items.slice(at + 1);
  }
  const data = items.slice(0, limit);
  return {
    object: 'list',
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: items.length > limit,
  };
}
