/**
 * Turns a `POST /v1/responses` body into Ponder's terms: the chat request (without its messages, which
 * depend on the stored `previous_response_id` chain), the input items, and what the response object
 * echoes back. Every parameter is implemented or answered 400 naming it; parameters Ponder lacks pass
 * only at the value that means "off" (what clients send by default).
 */
import {
  type ResponseCreateBody,
  responseCreateSchema,
  responseFunctionToolSchema,
} from '../../api/responses.ts';
import type { ChatRequest, ThinkingOptions, ToolDefinition } from '../../inference/types.ts';
import { invalidParam as invalid } from '../openai/errors.ts';
import { isEmpty } from '../openai/parameters.ts';
import { effortThinking, formatPath, parseParams } from '../openai/request.ts';
import { type ParsedInput, parseInput } from './input-items.ts';

export interface ParsedResponseRequest {
  /** Everything but `messages`. */
  request: Omit<ChatRequest, 'messages'>;
  input: ParsedInput;
  instructions: string | null;
  previousResponseId: string | null;
  stream: boolean;
  store: boolean;
  /** `reasoning.summary`: the reasoning goes out as the reasoning item's summary instead of its content. */
  summary: boolean;
  /** `include: ['reasoning.encrypted_content']`. */
  includeEncryptedReasoning: boolean;
  promptCacheKey: string | null;
  /**
   * The hosted `web_search` tool, run by Ponder's own search: `auto` offers it to the model (it decides),
   * `first` searches before the model answers (`tool_choice` required or naming it).
   */
  webSearch: { mode: 'auto' | 'first'; count: number; index: number } | null;
  /** `include: ['web_search_call.action.sources']`. */
  includeSearchSources: boolean;
  /** Request fields the response object echoes (OpenAI's names and shapes). */
  echo: Record<string, unknown>;
}

/** Fields read below (the schema in `api/responses.ts`). */
const IMPLEMENTED = new Set(Object.keys(responseCreateSchema.shape));

/** Responses API parameters Ponder does not implement, with the values that mean "off". */
const OFF_ONLY: Record<string, { off: (v: unknown) => boolean; what: string }> = {
  background: { off: (v) => isEmpty(v) || v === false, what: 'Background responses are not supported' },
  conversation: {
    off: isEmpty,
    what: 'Conversations objects are not supported: chain with previous_response_id',
  },
  prompt: { off: isEmpty, what: 'Stored prompt templates are not supported' },
  context_management: { off: isEmpty, what: 'Server-side context management (compaction) is not supported' },
  truncation: {
    off: (v) => isEmpty(v) || v === 'disabled',
    what: "Only truncation 'disabled' is supported: an input too long for the model is refused",
  },
  max_tool_calls: { off: isEmpty, what: 'max_tool_calls is not supported' },
  top_logprobs: { off: (v) => isEmpty(v) || v === 0, what: 'Log probabilities are not supported' },
  service_tier: {
    off: (v) => isEmpty(v) || v === 'auto' || v === 'default',
    what: 'Service tiers are not supported',
  },
  // Ponder's prefix cache lives in engine memory, so in-memory retention is exactly what it does.
  prompt_cache_retention: {
    off: (v) => isEmpty(v) || v === 'in_memory',
    what: "Only 'in_memory' prompt cache retention is supported",
  },
};

export function parseResponseBody(
  body: unknown,
  newItemId: (prefix: string) => string,
): ParsedResponseRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalid('The body must be a JSON object.', null);
  for (const [key, value] of Object.entries(body)) {
    if (IMPLEMENTED.has(key)) continue;
    const known = OFF_ONLY[key];
    if (!known) throw invalid(`Unknown parameter: '${key}'.`, key);
    if (!known.off(value)) throw invalid(`${known.what} ('${key}').`, key);
  }
  const b = parseParams(responseCreateSchema, body);
  if (!b.model) throw invalid("Missing required parameter: 'model'.", 'model');
  if (b.stream_options?.include_obfuscation === true)
    throw invalid('Stream obfuscation is not supported.', 'stream_options.include_obfuscation');
  if (b.stream_options && b.stream !== true)
    throw invalid('stream_options is only allowed with stream: true.', 'stream_options');
  if (b.text?.verbosity && b.text.verbosity !== 'medium')
    throw invalid("Only text.verbosity 'medium' is supported.", 'text.verbosity');
  if (b.metadata && Object.keys(b.metadata).length > 16)
    throw invalid('metadata holds at most 16 keys.', 'metadata');
  const include = b.include ?? [];
  include.forEach((value, i) => {
    if (!INCLUDABLE.includes(value))
      throw invalid(
        `include value '${value}' is not supported (only ${INCLUDABLE.map((v) => `'${v}'`).join(', ')}).`,
        `include[${i}]`,
      );
  });
  const summaryAsked = b.reasoning?.summary ?? b.reasoning?.generate_summary ?? null;
  if (summaryAsked === 'concise')
    throw invalid(
      "Ponder streams its model's reasoning in full; it makes no concise summary. Use reasoning.summary 'auto' or 'detailed' (the full reasoning as the summary), or leave it out.",
      'reasoning.summary',
    );

  const { tools, webSearch } = toTools(b);
  const request: Omit<ChatRequest, 'messages'> = { model: b.model, thinking: toThinking(b) };
  if (b.max_output_tokens != null) request.maxTokens = b.max_output_tokens;
  if (b.temperature != null) request.temperature = b.temperature;
  if (b.top_p != null) request.topP = b.top_p;
  if (tools.length > 0) request.tools = tools;
  const choice = toToolChoice(b, tools, webSearch);
  if (choice !== undefined && choice !== WEB_SEARCH_CHOICE && tools.length > 0) request.toolChoice = choice;
  if (b.parallel_tool_calls != null) request.parallelToolCalls = b.parallel_tool_calls;
  const format = b.text?.format;
  if (format?.type === 'json_object') request.responseFormat = { type: 'json_object' };
  else if (format?.type === 'json_schema') {
    request.responseFormat = {
      type: 'json_schema',
      name: format.name,
      schema: format.schema,
      ...(format.strict != null ? { strict: format.strict } : {}),
      ...(format.description ? { description: format.description } : {}),
    };
  }
  return {
    request,
    input: parseInput(b.input, newItemId),
    instructions: b.instructions ?? null,
    previousResponseId: b.previous_response_id ?? null,
    stream: b.stream === true,
    store: b.store !== false,
    summary: summaryAsked !== null,
    includeEncryptedReasoning: include.includes('reasoning.encrypted_content'),
    promptCacheKey: b.prompt_cache_key ?? null,
    webSearch:
      webSearch && choice !== 'none'
        ? { ...webSearch, mode: choice === 'required' || choice === WEB_SEARCH_CHOICE ? 'first' : 'auto' }
        : null,
    includeSearchSources: include.includes('web_search_call.action.sources'),
    echo: echoOf(b, tools, summaryAsked, webSearch),
  };
}

const INCLUDABLE = ['reasoning.encrypted_content', 'web_search_call.action.sources'];
const WEB_SEARCH_TYPES = [
  'web_search',
  'web_search_preview',
  'web_search_2025_08_26',
  'web_search_preview_2025_03_11',
];
/** Results read per `search_context_size`, as for chat completions' `web_search_options`. */
const SEARCH_CONTEXT_RESULTS: Record<string, number> = { low: 3, medium: 5, high: 8 };
/** `tool_choice` forcing the hosted search (any of its type names). */
const WEB_SEARCH_CHOICE = 'web_search';

interface WebSearchTool {
  count: number;
  index: number;
  contextSize: string;
}

function webSearchTool(raw: Record<string, unknown>, i: number): WebSearchTool {
  const at = `tools[${i}]`;
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'type' || key === 'search_context_size' || isEmpty(value)) continue;
    // Ponder's search reads live pages: live access is what it does.
    if (key === 'external_web_access' && value === true) continue;
    throw invalid(`'${key}' is not supported on the web_search tool.`, `${at}.${key}`);
  }
  const size = raw.search_context_size ?? 'medium';
  if (typeof size !== 'string' || !(size in SEARCH_CONTEXT_RESULTS))
    throw invalid("search_context_size must be 'low', 'medium' or 'high'.", `${at}.search_context_size`);
  return { count: SEARCH_CONTEXT_RESULTS[size] ?? 5, index: i, contextSize: size };
}

function toTools(b: ResponseCreateBody): { tools: ToolDefinition[]; webSearch: WebSearchTool | null } {
  let webSearch: WebSearchTool | null = null;
  const tools: ToolDefinition[] = [];
  for (const [i, raw] of (b.tools ?? []).entries()) {
    if (WEB_SEARCH_TYPES.includes(raw.type)) {
      if (webSearch) throw invalid('Only one web_search tool may be given.', `tools[${i}].type`);
      webSearch = webSearchTool(raw, i);
      continue;
    }
    if (raw.type !== 'function') {
      throw invalid(
        `Tool type '${raw.type}' is not supported: Ponder's Responses API takes function tools (type 'function'), which your client runs, and web_search, which Ponder runs.`,
        `tools[${i}].type`,
      );
    }
    const parsed = responseFunctionToolSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const param = `tools[${i}]${issue?.path.length ? `.${formatPath(issue.path)}` : ''}`;
      throw invalid(`Invalid value for '${param}': ${issue?.message ?? 'invalid'}.`, param);
    }
    const t = parsed.data;
    for (const key of Object.keys(t))
      if (!['type', 'name', 'description', 'parameters', 'strict'].includes(key) && !isEmpty(t[key]))
        throw invalid(`'${key}' is not supported on function tools.`, `tools[${i}].${key}`);
    tools.push({
      name: t.name,
      ...(t.description ? { description: t.description } : {}),
      ...(t.parameters ? { parameters: t.parameters } : {}),
      // The Responses API enforces a function's schema unless told otherwise.
      strict: t.strict ?? true,
    });
  }
  if (webSearch && tools.length > 0)
    throw invalid(
      "web_search cannot be combined with function tools on Ponder: a turn runs either your client's tools or Ponder's.",
      `tools[${webSearch.index}].type`,
    );
  return { tools, webSearch };
}

function toToolChoice(
  b: ResponseCreateBody,
  tools: ToolDefinition[],
  webSearch: WebSearchTool | null,
): ChatRequest['toolChoice'] | typeof WEB_SEARCH_CHOICE | undefined {
  const choice = b.tool_choice;
  if (choice == null) return undefined;
  if (typeof choice === 'string') {
    if (choice === 'required' && tools.length === 0 && !webSearch)
      throw invalid('tool_choice required needs tools.', 'tool_choice');
    return choice;
  }
  if (WEB_SEARCH_TYPES.includes(choice.type)) {
    if (!webSearch) throw invalid('tool_choice names web_search, which is not among tools.', 'tool_choice');
    return WEB_SEARCH_CHOICE;
  }
  if (choice.type !== 'function' || typeof choice.name !== 'string')
    throw invalid(
      `tool_choice type '${choice.type}' is not supported: use 'none', 'auto', 'required', {type: 'function', name} or {type: 'web_search'}.`,
      'tool_choice',
    );
  if (!tools.some((t) => t.name === choice.name))
    throw invalid(`tool_choice names '${choice.name}', which is not among tools.`, 'tool_choice');
  return { name: choice.name };
}

function toThinking(b: ResponseCreateBody): ThinkingOptions {
  const effort = b.reasoning?.effort ?? undefined;
  // Beyond 'high': the largest budget the caller's plan allows.
  return effort === 'xhigh' ? { enabled: true } : effortThinking(effort);
}

function echoOf(
  b: ResponseCreateBody,
  tools: ToolDefinition[],
  summary: 'auto' | 'concise' | 'detailed' | null,
  webSearch: WebSearchTool | null,
): Record<string, unknown> {
  return {
    instructions: b.instructions ?? null,
    max_output_tokens: b.max_output_tokens ?? null,
    metadata: b.metadata ?? {},
    parallel_tool_calls: b.parallel_tool_calls ?? true,
    previous_response_id: b.previous_response_id ?? null,
    prompt_cache_key: b.prompt_cache_key ?? null,
    reasoning: { effort: b.reasoning?.effort ?? null, summary },
    safety_identifier: b.safety_identifier ?? null,
    store: b.store !== false,
    // Ponder's defaults (DeepSeek-R1 model card) when not given.
    temperature: b.temperature ?? 0.6,
    top_p: b.top_p ?? 0.95,
    text: { format: b.text?.format ?? { type: 'text' }, verbosity: 'medium' },
    tool_choice: b.tool_choice ?? 'auto',
    tools: [
      ...tools.map((t) => ({
        type: 'function',
        name: t.name,
        description: t.description ?? null,
        parameters: t.parameters ?? null,
        strict: t.strict ?? true,
      })),
      ...(webSearch ? [{ type: 'web_search', search_context_size: webSearch.contextSize }] : []),
    ],
    top_logprobs: 0,
    truncation: 'disabled',
    background: false,
    service_tier: 'default',
    user: b.user ?? null,
  };
}
