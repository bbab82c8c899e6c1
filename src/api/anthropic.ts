/**
 * The Anthropic Messages API request bodies Ponder serves (`POST /v1/messages`, `POST /v1/messages/count_tokens`)
 * and the response shapes it sends. Objects are strict: a field Ponder does not implement is a 400 that
 * names it (the server words the known-but-unsupported ones: images, server tools, `container`…), so a
 * client never believes it got something it did not.
 */
import { z } from 'zod';

/** `cache_control` on a block: Ponder reuses prompt prefixes by itself, so the marker is accepted as is. */
const cacheControl = z
  .strictObject({ type: z.literal('ephemeral'), ttl: z.enum(['5m', '1h']).optional() })
  .nullish();

export const textBlockSchema = z.strictObject({
  type: z.literal('text'),
  text: z.string(),
  cache_control: cacheControl,
  /** Citations Ponder never produced; accepted only empty. */
  citations: z.array(z.unknown()).max(0, 'citations are not supported').nullish(),
});

export const thinkingBlockSchema = z.strictObject({
  type: z.literal('thinking'),
  thinking: z.string(),
  /** Sent back as received; Ponder does not need it to continue (see `server/anthropic/encode.ts`). */
  signature: z.string().max(10_000).optional(),
  cache_control: cacheControl,
});

export const toolUseBlockSchema = z.strictObject({
  type: z.literal('tool_use'),
  id: z.string().min(1).max(256),
  name: z.string().min(1).max(128),
  input: z.record(z.string(), z.unknown()),
  cache_control: cacheControl,
});

export const toolResultBlockSchema = z.strictObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string().min(1).max(256),
  content: z.union([z.string(), z.array(textBlockSchema)]).optional(),
  is_error: z.boolean().optional(),
  cache_control: cacheControl,
});

const contentBlock = z.discriminatedUnion('type', [
  textBlockSchema,
  thinkingBlockSchema,
  toolUseBlockSchema,
  toolResultBlockSchema,
]);
export type AnthropicContentBlock = z.infer<typeof contentBlock>;

export const anthropicMessageSchema = z.discriminatedUnion('role', [
  z.strictObject({
    role: z.enum(['user', 'assistant']),
    content: z.union([z.string(), z.array(contentBlock).max(10_000)]),
  }),
  /** A system message between turns (API version 2026-10-21's `SystemMessageParam`; Claude Code sends it). */
  z.strictObject({ role: z.literal('system'), content: z.union([z.string(), z.array(textBlockSchema)]) }),
]);
export type AnthropicMessage = z.infer<typeof anthropicMessageSchema>;

/** A JSON Schema object; compiled where the tool is offered (the engine's grammar, or the upstream). */
const jsonSchema = z.record(z.string(), z.unknown());

export const anthropicToolSchema = z.strictObject({
  type: z.literal('custom').optional(),
  name: z.string().regex(/^[a-zA-Z0-9_-]{1,128}$/, 'tool names are 1-128 letters, digits, _ or -'),
  description: z.string().max(100_000).optional(),
  input_schema: jsonSchema,
  cache_control: cacheControl,
  strict: z.boolean().optional(),
  /**
   * A deferred tool is loaded only through a tool-search tool, which Ponder does not have: it is kept out
   * of the prompt, so the model cannot call it (Claude Code sends a placeholder this way).
   */
  defer_loading: z.boolean().optional(),
});

const toolChoice = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('auto'), disable_parallel_tool_use: z.boolean().optional() }),
  z.strictObject({ type: z.literal('any'), disable_parallel_tool_use: z.boolean().optional() }),
  z.strictObject({
    type: z.literal('tool'),
    name: z.string().min(1).max(128),
    disable_parallel_tool_use: z.boolean().optional(),
  }),
  z.strictObject({ type: z.literal('none') }),
]);

/**
 * `summarized`: Ponder's thinking comes back whole (it is short enough to be its own summary);
 * `omitted`: thinking blocks come back empty, with their signature.
 */
const display = z.enum(['summarized', 'omitted']).nullish();

const thinking = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('enabled'), budget_tokens: z.int().min(1), display }),
  z.strictObject({ type: z.literal('disabled') }),
  z.strictObject({ type: z.literal('adaptive'), display }),
]);

/**
 * `context_management`: only clearing earlier thinking, which Ponder's history policy does anyway
 * (`keep: 'all'` keeps what the model's policy keeps; `thinking_turns` keeps the last N turns' at most).
 */
const contextManagement = z.strictObject({
  edits: z
    .array(
      z.strictObject({
        type: z.literal('clear_thinking_20251015'),
        keep: z
          .union([
            z.literal('all'),
            z.strictObject({ type: z.literal('thinking_turns'), value: z.int().min(0) }),
          ])
          .optional(),
      }),
    )
    .max(8),
});

const outputConfig = z.strictObject({
  effort: z.enum(['low', 'medium', 'high', 'xhigh', 'max']).nullish(),
  format: z.strictObject({ type: z.literal('json_schema'), schema: jsonSchema }).nullish(),
});

/** The fields `count_tokens` and `create` share. */
const promptFields = {
  model: z.string().min(1).max(256),
  messages: z.array(anthropicMessageSchema).min(1).max(10_000),
  system: z.union([z.string(), z.array(textBlockSchema)]).optional(),
  tools: z.array(anthropicToolSchema).max(128).optional(),
  tool_choice: toolChoice.optional(),
  thinking: thinking.optional(),
  output_config: outputConfig.optional(),
  context_management: contextManagement.optional(),
  /** A top-level cache breakpoint: accepted (Ponder reuses prefixes by itself). */
  cache_control: cacheControl,
};

export const countTokensRequestSchema = z.strictObject(promptFields);
export type CountTokensRequest = z.infer<typeof countTokensRequestSchema>;

export const messagesRequestSchema = z.strictObject({
  ...promptFields,
  max_tokens: z.int().min(1),
  stop_sequences: z.array(z.string().min(1).max(1000)).max(16).optional(),
  stream: z.boolean().optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().gt(0).max(1).optional(),
  top_k: z.int().min(1).optional(),
  /** An end-user id for abuse monitoring; it changes no output. */
  metadata: z.strictObject({ user_id: z.string().max(256).nullish() }).optional(),
  /** One capacity tier here: both values mean "what this server has". */
  service_tier: z.enum(['auto', 'standard_only']).optional(),
});
export type MessagesRequest = z.infer<typeof messagesRequestSchema>;

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  output_tokens_details: { thinking_tokens: number };
  service_tier: 'standard';
}

export type AnthropicStopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use';

export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'billing_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error';

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: AnthropicErrorType; message: string };
  request_id?: string;
}
