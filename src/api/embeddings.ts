/**
 * `POST /v1/embeddings` in OpenAI's shape (issue 13). Strict: an unknown field is 400 naming it, so no
 * parameter is ever silently ignored. Token-array inputs (OpenAI's tiktoken ids) mean nothing to other
 * tokenizers: they are refused by the server with a message naming `input`.
 */
import { z } from 'zod';

/** OpenAI's own limit on inputs per request. */
export const MAX_EMBEDDING_INPUTS = 2048;
/** Characters per input: far past any embedding model's context, so only abuse hits it. */
export const MAX_EMBEDDING_INPUT_CHARS = 200_000;

const text = z.string().max(MAX_EMBEDDING_INPUT_CHARS);
const tokens = z.array(z.number());

export const embeddingRequestSchema = z.strictObject({
  /** Omitted: the server's default embedding model (OpenAI requires it; Ponder does not). */
  model: z.string().min(1).max(256).optional(),
  input: z.union([
    text,
    z.array(text).min(1, 'must hold at least one string').max(MAX_EMBEDDING_INPUTS),
    tokens,
    z.array(tokens),
  ]),
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: z.number().int().min(1).max(65_536).optional(),
  /** Identifies the end user for abuse monitoring; it changes no output. */
  user: z.string().max(256).optional(),
});

export type EmbeddingRequestBody = z.infer<typeof embeddingRequestSchema>;

export interface EmbeddingObject {
  object: 'embedding';
  index: number;
  /** Floats, or with `encoding_format: "base64"` the little-endian float32 bytes in base64. */
  embedding: number[] | string;
}

export interface EmbeddingResponseBody {
  object: 'list';
  data: EmbeddingObject[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}
