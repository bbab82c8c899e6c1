/**
 * The Anthropic Messages API (`POST /v1/messages`, `POST /v1/messages/count_tokens`) for Claude Code and
 * other Anthropic clients. Same keys (`x-api-key` or Bearer), admission, quotas, usage ledger and shutdown
 * drain as `/v1/chat/completions`: both run on the completion service and the turn pipeline.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { countPromptTokens } from '../../core/completions/token-count.ts';
import type { ChatChunk, ToolCall } from '../../inference/types.ts';
import { MessageStreamEncoder, messageId, messageObject, sseEvent } from '../anthropic/encode.ts';
import { anthropicErrorFormatter, errorEvent, toAnthropicHttpError } from '../anthropic/errors.ts';
import { wantsAnthropicShape } from '../anthropic/models.ts';
import {
  ANTHROPIC_VERSIONS,
  invalidRequest,
  type ParsedMessages,
  parseCountTokensBody,
  parseMessagesBody,
} from '../anthropic/request.ts';
import { readTurn } from '../anthropic/turn-reader.ts';
import { requireUser } from '../auth/plugin.ts';
import type { AppContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { openAiErrorFormatter } from '../openai/errors.ts';
import { SseStream } from '../sse.ts';
import { abortWhenClientLeaves, hasKeyInUrl, startCompletion } from './v1-common.ts';

/** `ping` events this often while a message waits or thinks quietly (Anthropic's keep-alive). */
const PING_MS = 10_000;

/**
 * Anthropic requires `anthropic-version`. `anthropic-beta` flags only unlock request fields, and every
 * field is checked on its own (an unsupported one is a 400 naming it), so betas are taken as read and the
 * response says they changed nothing here.
 */
function checkHeaders(request: FastifyRequest, reply: FastifyReply): string {
  const version = request.headers['anthropic-version'];
  if (version === undefined) throw invalidRequest('anthropic-version: header is required.');
  if (typeof version !== 'string' || !ANTHROPIC_VERSIONS.has(version))
    throw invalidRequest(`anthropic-version: "${String(version)}" is not a valid version.`);
  const beta = request.headers['anthropic-beta'];
  if (typeof beta === 'string' && beta.trim() !== '') {
    const names = beta
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean)
      .slice(0, 32);
    reply.header('x-ponder-betas-not-applied', names.join(',').replace(/[^\w.,-]/g, ''));
  }
  return version;
}

export async function v1MessagesRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  ctx.errorFormats.add('/v1/messages', anthropicErrorFormatter);
  // `/v1/models` answers Anthropic clients in their shape (see `anthropic/models.ts`), errors included.
  ctx.errorFormats.add('/v1/models', (err, request) =>
    wantsAnthropicShape(request) ? anthropicErrorFormatter(err, request) : openAiErrorFormatter(err, request),
  );
  const { pipeline } = ctx.services;

  // Runs before authentication so a key in the URL is refused even when it is valid.
  app.addHook('onRequest', async (request, reply) => {
    // Anthropic's SDKs read the request id from `request-id` (Ponder also sends `x-request-id`).
    reply.header('request-id', request.id);
    if (hasKeyInUrl(request))
      throw new HttpError(
        401,
        'unauthenticated',
        'API keys are not accepted in the URL; send them as "x-api-key".',
      );
  });

  app.post('/v1/messages', async (request, reply) => {
    const user = requireUser(request);
    const parsed = parseMessagesBody(request.body, checkHeaders(request, reply));
    const { first, chunks, controller } = await startCompletion(
      ctx,
      { request, reply, user },
      parsed.request,
      {},
      toAnthropicHttpError,
    );
    const stop = () => controller.abort();
    if (!parsed.stream) return collect(first, chunks, parsed, controller);
    await stream(reply, request, first, chunks, parsed, stop);
    return reply;
  });

  app.post('/v1/messages/count_tokens', async (request, reply) => {
    const user = requireUser(request);
    checkHeaders(request, reply);
    const req = parseCountTokensBody(request.body);
    const controller = abortWhenClientLeaves(reply);
    try {
      const inputTokens = await countPromptTokens(
        pipeline,
        { userId: user.id, plan: user.plan },
        req,
        controller.signal,
      );
      return { input_tokens: inputTokens };
    } catch (err) {
      throw toAnthropicHttpError(err);
    }
  });
}

async function collect(
  first: IteratorResult<ChatChunk>,
  chunks: AsyncIterator<ChatChunk>,
  parsed: ParsedMessages,
  controller: AbortController,
): Promise<object> {
  let reasoning = '';
  let text = '';
  const toolCalls: ToolCall[] = [];
  let end: Awaited<ReturnType<typeof readTurn>>;
  try {
    end = await readTurn(first, chunks, parsed.stopSequences, () => controller.abort(), {
      queued: async () => {},
      thinking: async (t) => {
        reasoning += t;
      },
      text: async (t) => {
        text += t;
      },
      toolCall: async (c) => {
        // The first piece of a call names it; the rest add to its arguments.
        if (c.id !== undefined && c.name !== undefined)
          toolCalls[c.index] = { id: c.id, name: c.name, arguments: '' };
        const call = toolCalls[c.index];
        if (call) call.arguments += c.arguments;
      },
    });
  } catch (err) {
    controller.abort();
    throw toAnthropicHttpError(err);
  }
  if (!end.ok) throw end.error;
  const result = {
    reasoning,
    text,
    toolCalls: toolCalls.filter(Boolean),
    stopReason: end.stopReason,
    stopSequence: end.stopSequence,
    usage: end.usage,
  };
  return messageObject(messageId(), parsed.request.model, result, parsed.omitThinking);
}

async function stream(
  reply: FastifyReply,
  request: FastifyRequest,
  first: IteratorResult<ChatChunk>,
  chunks: AsyncIterator<ChatChunk>,
  parsed: ParsedMessages,
  stop: () => void,
): Promise<void> {
  // Anthropic keeps streams alive with `ping` events, written here, rather than SSE comments.
  const sse = new SseStream(reply, { pingMs: 2 ** 30 });
  const encoder = new MessageStreamEncoder(parsed.request.model, parsed.omitThinking);
  const ping = (): Promise<void> => sse.writeRaw(sseEvent({ type: 'ping' }));
  let lastWrite = Date.now();
  const write = (text: string): Promise<void> => {
    lastWrite = Date.now();
    return sse.writeRaw(text);
  };
  const idle = setInterval(() => {
    if (Date.now() - lastWrite >= PING_MS) void write(sseEvent({ type: 'ping' }));
  }, PING_MS);
  idle.unref();
  try {
    await write(encoder.start());
    const end = await readTurn(first, chunks, parsed.stopSequences, stop, {
      queued: ping,
      thinking: (t) => write(encoder.thinking(t)),
      text: (t) => write(encoder.text(t)),
      toolCall: (c) => write(encoder.toolCall(c)),
    });
    if (end.ok) await write(encoder.finish(end.stopReason, end.stopSequence, end.usage));
    else await write(encoder.close() + sseEvent(errorEvent(end.error, request)));
  } catch (err) {
    // Headers are gone: report in-band, as Anthropic does, so SDKs raise an APIError.
    stop();
    await write(encoder.close() + sseEvent(errorEvent(toAnthropicHttpError(err), request)));
  } finally {
    clearInterval(idle);
    sse.end();
    await chunks.return?.();
  }
}
