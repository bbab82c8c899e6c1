/**
 * The request body of `POST /v1/responses` (OpenAI's Responses API, issue 14). Known fields with a wrong
 * type are 400; fields Ponder does not implement are refused by name in `server/openai-responses/`
 * unless they carry their "off" value, so nothing is silently ignored. Item and tool shapes are loose
 * here and checked one by one by the server, which names the exact `input[i]…` or `tools[i]…` path.
 */
import { z } from 'zod';

/** A JSON Schema object; its content is checked where it is compiled (the engine, or the upstream). */
const jsonSchema = z.record(z.string(), z.unknown());

export const responseEffortSchema = z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']);

export const responseFunctionToolSchema = z.looseObject({
  type: z.literal('function'),
  name: z.string().min(1).max(64),
  description: z.string().max(100_000).nullish(),
  parameters: jsonSchema.nullish(),
  strict: z.boolean().nullish(),
});

export const responseTextFormatSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('text') }),
  z.strictObject({ type: z.literal('json_object') }),
  z.strictObject({
    type: z.literal('json_schema'),
    name: z.string().min(1).max(64),
    schema: jsonSchema,
    description: z.string().max(100_000).nullish(),
    strict: z.boolean().nullish(),
  }),
]);

export const responseCreateSchema = z.looseObject({
  model: z.string().min(1).max(256).nullish(),
  /** A string is one user message; otherwise items (checked one by one by the server). */
  input: z.union([z.string(), z.array(z.looseObject({}).or(z.unknown())).max(10_000)]).nullish(),
  instructions: z.string().max(1_000_000).nullish(),
  previous_response_id: z.string().min(1).max(128).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.strictObject({ include_obfuscation: z.boolean().nullish() }).nullish(),
  store: z.boolean().nullish(),
  metadata: z.record(z.string().max(64), z.string().max(512)).nullish(),
  max_output_tokens: z.int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  reasoning: z
    .strictObject({
      effort: responseEffortSchema.nullish(),
      summary: z.enum(['auto', 'concise', 'detailed']).nullish(),
      /** The deprecated name of `summary`. */
      generate_summary: z.enum(['auto', 'concise', 'detailed']).nullish(),
    })
    .nullish(),
  text: z
    .strictObject({
      format: responseTextFormatSchema.nullish(),
      verbosity: z.enum(['low', 'medium', 'high']).nullish(),
    })
    .nullish(),
  tools: z
    .array(z.looseObject({ type: z.string() }))
    .max(128)
    .nullish(),
  tool_choice: z.union([z.enum(['none', 'auto', 'required']), z.looseObject({ type: z.string() })]).nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  include: z.array(z.string()).max(16).nullish(),
  /** Routes the request to the engine slot that already holds this prefix (Ponder's slot affinity). */
  prompt_cache_key: z.string().min(1).max(256).nullish(),
  /** End-user identifiers for abuse monitoring; they change no output and are echoed back. */
  user: z.string().max(256).nullish(),
  safety_identifier: z.string().max(256).nullish(),
  /** Codex CLI's request telemetry (window, turn and session ids): changes no output. */
  client_metadata: z.record(z.string().max(256), z.string().max(8192)).nullish(),
});

export type ResponseCreateBody = z.infer<typeof responseCreateSchema>;
export type ResponseFunctionTool = z.infer<typeof responseFunctionToolSchema>;
export type ResponseTextFormat = z.infer<typeof responseTextFormatSchema>;
