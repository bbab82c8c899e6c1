/**
 * `POST /v1/embeddings` in OpenAI's shape (issue 13): API key (or session) auth like the rest of `/v1`,
 * the plan's quota and admission through the gateway, tokens to the usage ledger, errors in OpenAI's
 * shape. Served by whichever provider lists the model with `kind: 'embedding'` (embedded engine or an
 * upstream pool).
 */
import type { FastifyInstance } from 'fastify';
import {
  type EmbeddingObject,
  type EmbeddingRequestBody,
  type EmbeddingResponseBody,
  embeddingRequestSchema,
} from '../../api/embeddings.ts';
import { requireUser } from '../auth/plugin.ts';
import type { AppContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { invalidParam as invalid, toV1HttpError } from '../openai/errors.ts';
import { abortWhenClientLeaves, refuseKeyInUrl } from './v1-common.ts';

export async function embeddingRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { gateway } = ctx.services;
  app.addHook('onRequest', refuseKeyInUrl);

  app.post('/v1/embeddings', async (request, reply): Promise<EmbeddingResponseBody> => {
    const user = requireUser(request);
    const body = parseEmbeddingBody(request.body);
    const input = typeof body.input === 'string' ? [body.input] : (body.input as string[]);
    // The client left: stop between inputs rather than embed for nobody.
    const controller = abortWhenClientLeaves(reply);
    let result: Awaited<ReturnType<typeof gateway.embed>>;
    try {
      result = await gateway.embed(
        {
          ...(body.model === undefined ? {} : { model: body.model }),
          input,
          ...(body.dimensions === undefined ? {} : { dimensions: body.dimensions }),
        },
        {
          signal: controller.signal,
          subject: {
            userId: user.id,
            plan: user.plan,
            apiKeyId: request.auth?.via === 'apiKey' ? request.auth.apiKey.id : null,
          },
        },
      );
    } catch (err) {
      throw withParam(toV1HttpError(err));
    }
    const base64 = body.encoding_format === 'base64';
    const data = result.vectors.map(
      (v, index): EmbeddingObject => ({
        object: 'embedding',
        index,
        embedding: base64 ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') : [...v],
      }),
    );
    return {
      object: 'list',
      data,
      model: result.model,
      usage: { prompt_tokens: result.promptTokens, total_tokens: result.promptTokens },
    };
  });
}

/** Validates the body, naming the offending parameter as OpenAI does. */
export function parseEmbeddingBody(body: unknown): EmbeddingRequestBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid('The body must be a JSON object.', null);
  }
  const parsed = embeddingRequestSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue?.code === 'unrecognized_keys') {
      const key = issue.keys[0] ?? 'body';
      throw invalid(`Unrecognized request argument supplied: ${key}.`, key);
    }
    const param = issue?.path.length ? issue.path.map(String).join('.') : 'body';
    const top = String(issue?.path[0] ?? '');
    if (top === 'input') {
      throw invalid(
        "Invalid value for 'input': send a string or an array of 1 to 2048 strings (each at most 200000 characters).",
        'input',
      );
    }
    throw invalid(`Invalid value for '${param}': ${issue?.message ?? 'invalid'}.`, top || null);
  }
  const input = parsed.data.input;
  if (Array.isArray(input) && input.length === 0)
    throw invalid("Invalid value for 'input': the array must hold at least one string.", 'input');
  if (Array.isArray(input) && input.some((item) => typeof item !== 'string')) {
    throw invalid(
      "Token arrays are not supported for 'input' (their ids belong to another tokenizer); send the text as a string or an array of strings.",
      'input',
    );
  }
  return parsed.data;
}

/** OpenAI names `input` for a too-long input, and `dimensions` when the model refuses them. */
function withParam(err: unknown): unknown {
  if (!(err instanceof HttpError) || err.status !== 400) return err;
  if (err.code === 'context_length_exceeded')
    return new HttpError(400, err.code, err.message, { details: { param: 'input' } });
  if (/"dimensions"/.test(err.message))
    return new HttpError(400, err.code, err.message, { details: { param: 'dimensions' } });
  return err;
}
