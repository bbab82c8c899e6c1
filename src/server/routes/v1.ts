/**
 * The OpenAI/DeepSeek-compatible API (design §5): `GET /v1/models` and `POST /v1/chat/completions`,
 * authenticated by API key (`Authorization: Bearer` or `x-api-key`). Stateless: a client that
 * disconnects cancels its generation at once; graceful shutdown drains running ones (see `../services.ts`).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ChatChunk, FinishReason, ModelInfo, ToolCall, UsageChunk } from '../../inference/types.ts';
import { anthropicModel, anthropicModelList, wantsAnthropicShape } from '../anthropic/models.ts';
import { requireUser } from '../auth/plugin.ts';
import type { AppContext } from '../context.ts';
import { HttpError, toHttpError } from '../errors.ts';
import { type CitedSource, citationAnnotations, sourcesOf } from '../openai/citations.ts';
import { completionObject, StreamEncoder } from '../openai/encode.ts';
import { openAiErrorFormatter, toV1HttpError } from '../openai/errors.ts';
import { parseCompletionBody } from '../openai/request.ts';
import { SseStream } from '../sse.ts';
import { refuseKeyInUrl, startCompletion } from './v1-common.ts';

export async function v1Routes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  ctx.errorFormats.add('/v1', openAiErrorFormatter);
  // Completions (run by `startCompletion`) drain on graceful shutdown: that is wired with the services.
  const { gateway } = ctx.services;

  // Runs before authentication so a key in the URL is refused even when it is valid.
  app.addHook('onRequest', refuseKeyInUrl);

  const modelObject = (m: ModelInfo) => ({
    id: m.id,
    object: 'model',
    created: Math.floor(ctx.startedAt.getTime() / 1000),
    owned_by: m.provider,
    state: m.state,
    ...(m.contextSize !== undefined ? { context_length: m.contextSize } : {}),
    supports_tools: m.supportsTools === true,
    supports_response_format: m.supportsResponseFormat === true,
    // Embedding models (issue 13): what `/v1/embeddings` serves, their vector length and `dimensions`.
    ...(m.kind === 'embedding'
      ? {
          kind: 'embedding',
          ...(m.embedding?.dimensions === undefined ? {} : { dimensions: m.embedding.dimensions }),
          matryoshka: m.embedding?.matryoshka === true,
        }
      : {}),
  });

  app.get('/v1/models', async (request) => {
    requireUser(request);
    const { models } = await gateway.listModels();
    // Anthropic clients (an `anthropic-version` header) get Anthropic's list shape (issue 14).
    if (wantsAnthropicShape(request)) return anthropicModelList(models, ctx.startedAt, request.query);
    return { object: 'list', data: models.map(modelObject) };
  });

  app.get<{ Params: { id: string } }>('/v1/models/:id', async (request) => {
    requireUser(request);
    const { models } = await gateway.listModels();
    const model = models.find((m) => m.id === request.params.id);
    if (!model) {
      throw new HttpError(404, 'model_not_found', `The model '${request.params.id}' does not exist.`, {
        details: { param: 'model' },
      });
    }
    return wantsAnthropicShape(request) ? anthropicModel(model, ctx.startedAt) : modelObject(model);
  });

  app.post('/v1/chat/completions', async (request, reply) => {
    const user = requireUser(request);
    const parsed = parseCompletionBody(request.body);
    const { first, chunks, controller } = await startCompletion(
      ctx,
      { request, reply, user },
      parsed.request,
      parsed.searchFirst ? { searchFirst: parsed.searchFirst } : {},
      toV1HttpError,
    );
    const model = parsed.request.model;
    const search = parsed.searchFirst !== undefined;
    if (!parsed.stream) return collect(first, chunks, model, controller, search);
    await stream(reply, request, first, chunks, model, parsed.includeUsage, search);
    return reply;
  });
}

async function collect(
  first: IteratorResult<ChatChunk>,
  chunks: AsyncIterator<ChatChunk>,
  model: string,
  controller: AbortController,
  search: boolean,
): Promise<object> {
  let sources: CitedSource[] = [];
  let text = '';
  let reasoning = '';
  let usage: UsageChunk | undefined;
  let finish: FinishReason = 'stop';
  const toolCalls: ToolCall[] = [];
  try {
    for (let r = first; !r.done; r = await chunks.next()) {
      const c = r.value;
      if (c.type === 'text') text += c.text;
      else if (c.type === 'reasoning') reasoning += c.text;
      else if (c.type === 'usage') usage = c;
      else if (c.type === 'tool_result') sources = sourcesOf(c.content);
      else if (c.type === 'tool_call' && !c.ponder) {
        // The first piece of a call names it; the rest add to its arguments.
        if (c.id !== undefined && c.name !== undefined)
          toolCalls[c.index] = { id: c.id, name: c.name, arguments: '' };
        const call = toolCalls[c.index];
        if (call) call.arguments += c.arguments;
      } else if (c.type === 'done') {
        finish = c.finishReason;
        if (c.finishReason === 'error') {
          throw new HttpError(502, 'upstream_error', c.error ?? 'The generation failed.');
        }
      }
    }
  } catch (err) {
    controller.abort();
    throw toV1HttpError(err);
  }
  return completionObject(model, {
    text,
    reasoning,
    finish,
    usage,
    toolCalls: toolCalls.filter(Boolean),
    ...(search ? { annotations: citationAnnotations(text, sources) } : {}),
  });
}

async function stream(
  reply: FastifyReply,
  request: FastifyRequest,
  first: IteratorResult<ChatChunk>,
  chunks: AsyncIterator<ChatChunk>,
  model: string,
  includeUsage: boolean,
  search: boolean,
): Promise<void> {
  let sources: CitedSource[] = [];
  let text = '';
  // `: keep-alive` comments while queued, and as pings; clients ignore SSE comments.
  const sse = new SseStream(reply, { pingMs: 10_000 });
  const encoder = new StreamEncoder(model);
  const data = (obj: object): Promise<void> => sse.writeRaw(`data: ${JSON.stringify(obj)}\n\n`);
  let started = false;
  let usage: UsageChunk | undefined;
  try {
    for (let r = first; !r.done && !sse.closed; r = await chunks.next()) {
      const c = r.value;
      if (c.type === 'queued') {
        await sse.writeRaw(': keep-alive\n\n');
        continue;
      }
      if (!started) {
        started = true;
        await data(encoder.role());
      }
      switch (c.type) {
        case 'reasoning':
          await data(encoder.reasoning(c.text));
          break;
        case 'text':
          text += c.text;
          await data(encoder.text(c.text));
          break;
        case 'tool_call':
          // A call Ponder ran itself (the search before the answer) is not the client's to run.
          if (!c.ponder) await data(encoder.toolCall(c));
          break;
        case 'usage':
          usage = c;
          break;
        case 'done':
          if (c.finishReason === 'error') {
            const err = new HttpError(502, 'upstream_error', c.error ?? 'The generation failed.');
            await data(openAiErrorFormatter(err, request) as object);
          } else {
            if (search) await data(encoder.annotations(citationAnnotations(text, sources)));
            await data(encoder.finish(c.finishReason));
            if (includeUsage) await data(encoder.usage(usage));
          }
          break;
        case 'tool_result':
          // Only the search before the answer runs here (/v1 tools are the client's): its sources.
          sources = sourcesOf(c.content);
          break;
        default:
          c satisfies never;
      }
    }
  } catch (err) {
    // Headers are gone: report in-band, as OpenAI does, so SDKs raise an APIError.
    const httpErr = toHttpError(toV1HttpError(err));
    await data(openAiErrorFormatter(httpErr, request) as object);
  } finally {
    await sse.writeRaw('data: [DONE]\n\n');
    sse.end();
    await chunks.return?.();
  }
}
