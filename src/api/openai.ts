/**
 * The OpenAI/DeepSeek-compatible request body of `POST /v1/chat/completions` (design §5).
 * Known fields with a wrong type are 400; the server answers 400 naming any other field too, unless it is
 * an unimplemented parameter left at its "off" value (`server/openai/request.ts`), so nothing is ignored.
 */
import { z } from 'zod';

const textPart = z.looseObject({ type: z.literal('text'), text: z.string() });
/** Any part; non-text parts are rejected with a clear message by the server (not by the schema). */
const anyPart = z.looseObject({ type: z.string() });

export const openAiMessageSchema = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z.union([z.string(), z.array(z.union([textPart, anyPart])), z.null()]).optional(),
  /** Reasoning sent back by clients (DeepSeek / SGLang style); accepted and stripped. */
  reasoning_content: z.string().nullish(),
  /** Reasoning sent back by clients (vLLM / Ollama style); accepted and stripped. */
  reasoning: z.string().nullish(),
  name: z.string().optional(),
  /** Assistant turns: the calls the model made (sent back with their results in `tool` messages). */
  tool_calls: z
    .array(
      z.looseObject({
        id: z.string().min(1).max(256),
        type: z.literal('function'),
        function: z.looseObject({ name: z.string().min(1).max(64), arguments: z.string().max(1_000_000) }),
      }),
    )
    .max(128)
    .nullish(),
  /** `tool` messages: the call this result answers. */
  tool_call_id: z.string().min(1).max(256).optional(),
  /** DeepSeek's prefix completion: continue this (last, assistant) message. */
  prefix: z.boolean().optional(),
});

const effort = z.enum(['none', 'minimal', 'low', 'medium', 'high']);

/** A JSON Schema object; its content is checked where it is compiled (the engine, or the upstream). */
const jsonSchema = z.record(z.string(), z.unknown());

export const openAiToolSchema = z.looseObject({
  type: z.literal('function'),
  function: z.looseObject({
    name: z.string().min(1).max(64),
    description: z.string().max(100_000).nullish(),
    parameters: jsonSchema.nullish(),
    strict: z.boolean().nullish(),
  }),
});

const toolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z.looseObject({
    type: z.literal('function'),
    function: z.looseObject({ name: z.string().min(1).max(64) }),
  }),
]);

const responseFormat = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('text') }),
  z.looseObject({ type: z.literal('json_object') }),
  z.looseObject({
    type: z.literal('json_schema'),
    json_schema: z.looseObject({
      name: z.string().min(1).max(64),
      description: z.string().max(100_000).nullish(),
      schema: jsonSchema.nullish(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

export const chatCompletionRequestSchema = z.looseObject({
  model: z.string().min(1).max(256),
  messages: z.array(openAiMessageSchema).min(1).max(10_000),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  max_tokens: z.int().min(1).nullish(),
  max_completion_tokens: z.int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  /** vLLM's, SGLang's and llama-server's extension (Ponder's upstream client sends it). */
  top_k: z.int().min(1).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(16)]).nullish(),
  seed: z.int().nullish(),
  user: z.string().max(256).nullish(),
  n: z.int().min(1).max(1).nullish(),
  reasoning_effort: effort.nullish(),
  reasoning: z.looseObject({ effort: effort.nullish() }).nullish(),
  thinking: z
    .looseObject({
      type: z.enum(['enabled', 'disabled']),
      budget_tokens: z.int().min(1).nullish(),
    })
    .nullish(),
  /** llama-server's and vLLM's thinking budgets (Ponder's upstream client sends both). */
  reasoning_budget_tokens: z.int().min(0).nullish(),
  thinking_token_budget: z.int().min(0).nullish(),
  /** Template switches; only the thinking ones are read, any other key is a 400. */
  chat_template_kwargs: z
    .strictObject({ enable_thinking: z.boolean().optional(), thinking: z.boolean().optional() })
    .nullish(),
  tools: z.array(openAiToolSchema).max(128).nullish(),
  tool_choice: toolChoice.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  response_format: responseFormat.nullish(),
  /** Search the web first and cite the sources (`url_citation` annotations). */
  web_search_options: z
    .looseObject({
      search_context_size: z.enum(['low', 'medium', 'high']).nullish(),
      user_location: z.unknown().optional(),
    })
    .nullish(),
  /** vLLM's prefix completion of the last (assistant) message. */
  continue_final_message: z.boolean().nullish(),
  add_generation_prompt: z.boolean().nullish(),
});

export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;
export type OpenAiMessage = z.infer<typeof openAiMessageSchema>;

/** `usage` as OpenAI and DeepSeek clients read it. */
export interface OpenAiUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
  completion_tokens_details: { reasoning_tokens: number };
  /** DeepSeek's names for the same split. */
  prompt_cache_hit_tokens: number;
  prompt_cache_miss_tokens: number;
}

export interface OpenAiErrorBody {
  error: { message: string; type: string; code: string | null; param: string | null };
}
