/**
 * Turns an OpenAI/DeepSeek chat completion body into Ponder's `ChatRequest`, with errors that name the
 * offending parameter the way OpenAI does (`param`).
 */

import type { z } from 'zod';
import { type ChatCompletionRequest, chatCompletionRequestSchema } from '../../api/openai.ts';
import type { ChatMessage, ChatRequest, ThinkingOptions } from '../../inference/types.ts';
import { invalidParam as invalid } from './errors.ts';
import { isEmpty, rejectIgnoredParameters } from './parameters.ts';

export interface ParsedCompletion {
  request: ChatRequest;
  stream: boolean;
  includeUsage: boolean;
  /** `web_search_options`: search the web first, reading this many results. */
  searchFirst?: { count: number };
}

/** Results read per `search_context_size`. */
const SEARCH_CONTEXT_RESULTS = { low: 3, medium: 5, high: 8 } as const;

export function parseCompletionBody(body: unknown): ParsedCompletion {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid('The body must be a JSON object.', null);
  }
  rejectIgnoredParameters(body as Record<string, unknown>);
  const b = parseParams(chatCompletionRequestSchema, body);
  const maxTokens = b.max_completion_tokens ?? b.max_tokens ?? undefined;
  checkContinuation(b);
  const request: ChatRequest = {
    model: b.model,
    messages: toMessages(b),
    thinking: toThinking(b),
  };
  if (maxTokens !== undefined) request.maxTokens = maxTokens;
  if (b.temperature != null) request.temperature = b.temperature;
  if (b.top_p != null) request.topP = b.top_p;
  if (b.top_k != null) request.topK = b.top_k;
  if (b.seed != null) request.seed = b.seed;
  if (b.stop != null) request.stop = typeof b.stop === 'string' ? [b.stop] : b.stop;
  Object.assign(request, toolOptions(b));
  const out: ParsedCompletion = {
    request,
    stream: b.stream === true,
    includeUsage: b.stream_options?.include_usage === true,
  };
  const search = b.web_search_options;
  if (search) {
    for (const key of Object.keys(search)) {
      if (key === 'search_context_size' || isEmpty(search[key])) continue;
      throw invalid(`web_search_options.${key} is not supported.`, `web_search_options.${key}`);
    }
    out.searchFirst = { count: SEARCH_CONTEXT_RESULTS[search.search_context_size ?? 'medium'] };
  }
  return out;
}

/** Message fields Ponder reads; `name` only labels a participant, so it changes nothing; `prefix`: see `continuation`. */
const MESSAGE_FIELDS = new Set([
  'role',
  'content',
  'reasoning_content',
  'reasoning',
  'name',
  'prefix',
  'tool_calls',
  'tool_call_id',
]);

function toMessages(b: ChatCompletionRequest): ChatMessage[] {
  return b.messages.map((m, i): ChatMessage => {
    for (const [key, value] of Object.entries(m)) {
      // `refusal: null` and `annotations: []` are what some clients echo back from an earlier answer.
      if (MESSAGE_FIELDS.has(key) || isEmpty(value)) continue;
      throw invalid(`'${key}' is not supported (messages[${i}].${key}).`, `messages[${i}].${key}`);
    }
    if (m.tool_call_id !== undefined && m.role !== 'tool')
      throw invalid('tool_call_id belongs on role tool messages.', `messages[${i}].tool_call_id`);
    if (!isEmpty(m.tool_calls) && m.role !== 'assistant')
      throw invalid('tool_calls belong on assistant messages.', `messages[${i}].tool_calls`);
    if (m.role === 'tool' && m.tool_call_id === undefined)
      throw invalid(
        'A tool message needs the tool_call_id of the call it answers.',
        `messages[${i}].tool_call_id`,
      );
    let content = '';
    if (typeof m.content === 'string') content = m.content;
    else if (Array.isArray(m.content)) {
      content = m.content
        .map((part, j) => {
          if (part.type !== 'text' || typeof part.text !== 'string') {
            throw invalid(
              `Only text content parts are supported (got '${part.type}').`,
              `messages[${i}].content[${j}]`,
            );
          }
          return part.text;
        })
        .join('');
    } else if (m.role !== 'assistant') {
      throw invalid('Message content is required.', `messages[${i}].content`);
    }
    // `developer` is OpenAI's newer name for `system`. Reasoning sent back by clients is passed on: the
    // provider applies its model's history policy (design §3) — earlier turns' reasoning is dropped
    // unless the model keeps it, a tool-call turn keeps its own, and a message being continued goes on
    // thinking from where it was cut off.
    const role = m.role === 'developer' ? 'system' : m.role;
    const reasoning = m.reasoning_content ?? m.reasoning;
    if (role === 'tool') return { role, content, toolCallId: m.tool_call_id as string };
    const toolCalls = (m.tool_calls ?? []).map((c) => ({
      id: c.id,
      name: c.function.name,
      arguments: c.function.arguments,
    }));
    // A turn that called tools keeps its reasoning, as DeepSeek's API wants it sent back (design §11).
    if (toolCalls.length > 0)
      return reasoning ? { role, content, reasoning, toolCalls } : { role, content, toolCalls };
    if (role === 'assistant' && i === b.messages.length - 1 && reasoning) return { role, content, reasoning };
    return { role, content };
  });
}

/** `tools`, `tool_choice`, `parallel_tool_calls` and `response_format` in Ponder's terms. */
function toolOptions(b: ChatCompletionRequest): Partial<ChatRequest> {
  const out: Partial<ChatRequest> = {};
  if (b.tools && b.tools.length > 0) {
    out.tools = b.tools.map((t) => ({
      name: t.function.name,
      ...(t.function.description ? { description: t.function.description } : {}),
      ...(t.function.parameters ? { parameters: t.function.parameters } : {}),
      ...(t.function.strict != null ? { strict: t.function.strict } : {}),
    }));
  }
  const choice = b.tool_choice;
  if (choice != null) {
    const named = typeof choice === 'object' ? choice.function.name : undefined;
    if (named !== undefined && !out.tools?.some((t) => t.name === named))
      throw invalid(`tool_choice names '${named}', which is not among tools.`, 'tool_choice');
    if (choice === 'required' && !out.tools)
      throw invalid('tool_choice required needs tools.', 'tool_choice');
    out.toolChoice = named !== undefined ? { name: named } : (choice as 'none' | 'auto' | 'required');
  }
  if (b.parallel_tool_calls != null) out.parallelToolCalls = b.parallel_tool_calls;
  const format = b.response_format;
  if (format?.type === 'json_object') out.responseFormat = { type: 'json_object' };
  else if (format?.type === 'json_schema') {
    const { name, schema, strict, description } = format.json_schema;
    out.responseFormat = {
      type: 'json_schema',
      name,
      // OpenAI treats a missing schema as "any JSON object".
      schema: schema ?? { type: 'object' },
      ...(strict != null ? { strict } : {}),
      ...(description ? { description } : {}),
    };
  }
  return out;
}

/**
 * A last message from the assistant is continued (prefix completion), as vLLM does with
 * `continue_final_message: true` (and `add_generation_prompt: false`) and the DeepSeek API with
 * `prefix: true` on it. Without either it is refused rather than answered as a new turn by guesswork.
 */
function checkContinuation(b: ChatCompletionRequest): void {
  const lastIndex = b.messages.length - 1;
  const last = b.messages[lastIndex];
  b.messages.forEach((m, i) => {
    if (m.prefix === true && (i !== lastIndex || m.role !== 'assistant')) {
      throw invalid(
        'prefix: true is only allowed on the last message, from the assistant.',
        `messages[${i}].prefix`,
      );
    }
  });
  const asked = b.continue_final_message === true || last?.prefix === true;
  if (last?.role === 'assistant' && !asked) {
    throw invalid(
      'The last message is from the assistant. To continue it, set continue_final_message: true (or prefix: ' +
        'true on it); otherwise end with a user message.',
      `messages[${lastIndex}].role`,
    );
  }
  if (b.continue_final_message === true && last?.role !== 'assistant') {
    throw invalid(
      'continue_final_message needs a last message from the assistant.',
      'continue_final_message',
    );
  }
  if (b.add_generation_prompt === false && !asked) {
    throw invalid(
      'add_generation_prompt: false is only supported when continuing the last message.',
      'add_generation_prompt',
    );
  }
  if (b.add_generation_prompt === true && asked) {
    throw invalid(
      'A continued message takes no generation prompt: drop add_generation_prompt.',
      'add_generation_prompt',
    );
  }
}

function toThinking(b: ChatCompletionRequest): ThinkingOptions {
  if (b.thinking?.type === 'disabled') return { enabled: false };
  // Qwen3 / DeepSeek-V3.1-style template switches (vLLM, SGLang, llama-server).
  const kwargs = b.chat_template_kwargs;
  if (kwargs?.enable_thinking === false || kwargs?.thinking === false) return { enabled: false };
  if (b.thinking?.budget_tokens != null) return { enabled: true, budgetTokens: b.thinking.budget_tokens };
  // llama-server's and vLLM's budget fields; 0 closes the reasoning at once.
  const budget = b.reasoning_budget_tokens ?? b.thinking_token_budget;
  if (budget != null) return budget === 0 ? { enabled: false } : { enabled: true, budgetTokens: budget };
  return effortThinking(b.reasoning_effort ?? b.reasoning?.effort ?? undefined);
}

/** OpenAI's `reasoning.effort` in Ponder's terms (also the Responses API's). */
export function effortThinking(
  effort: 'none' | 'minimal' | 'low' | 'medium' | 'high' | undefined,
): ThinkingOptions {
  switch (effort) {
    case undefined:
      return { enabled: true };
    case 'none':
      return { enabled: false };
    case 'minimal':
      return { enabled: true, budgetTokens: 256 };
    case 'low':
    case 'medium':
    case 'high':
      return { enabled: true, effort };
    default:
      return effort satisfies never;
  }
}

/** The body as `schema` reads it; else a 400 naming the first offending parameter as OpenAI does. */
export function parseParams<S extends z.ZodType>(schema: S, body: object): z.output<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const param = issue ? formatPath(issue.path) : null;
    throw invalid(`Invalid value for '${param ?? 'body'}': ${issue?.message ?? 'invalid'}.`, param);
  }
  return parsed.data;
}

/** A zod issue path as OpenAI names a parameter: `messages[2].content`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out || 'body';
}
