/**
 * Turns an Anthropic Messages API body into Ponder's `ChatRequest`. Known Anthropic features Ponder does
 * not have (images, documents, server tools, `top_k`, `container`…) answer 400 naming them; anything
 * else unknown is refused by the strict schema, also by name.
 */
import type { z } from 'zod';
import {
  type AnthropicMessage,
  type CountTokensRequest,
  countTokensRequestSchema,
  type MessagesRequest,
  messagesRequestSchema,
} from '../../api/anthropic.ts';
import type { ChatMessage, ChatRequest, ThinkingOptions, ToolCall } from '../../inference/types.ts';
import { HttpError } from '../errors.ts';

export interface ParsedMessages {
  request: ChatRequest;
  stream: boolean;
  /** Applied here, not by the provider, so the answer can say which one matched (`stop_sequence`). */
  stopSequences: string[];
  /** `thinking.display: 'omitted'`: thinking blocks come back empty (with their signature). */
  omitThinking: boolean;
}

export const invalidRequest = (message: string): HttpError => new HttpError(400, 'invalid_request', message);

/** Top-level Anthropic parameters Ponder does not implement, and why (checked before the schema). */
const UNSUPPORTED_FIELDS: Record<string, string> = {
  container: 'container is not supported: Ponder runs no code-execution containers',
  mcp_servers: 'mcp_servers is not supported: MCP servers are configured by the Ponder admin',
  inference_geo: 'inference_geo is not supported: Ponder runs where it is installed',
  speed: 'speed is not supported: Ponder has one speed',
  diagnostics: 'diagnostics is not supported',
  user_profile_id: 'user_profile_id is not supported',
  workspace_id: 'workspace_id is not supported: API keys belong to Ponder users',
};

/** Content block types Anthropic knows that Ponder cannot take. */
const UNSUPPORTED_BLOCKS: Record<string, string> = {
  image: 'image content is not supported: Ponder models read text only',
  document: 'document content is not supported: upload documents in the Ponder web app instead',
  search_result: 'search_result content is not supported',
  redacted_thinking: 'redacted_thinking blocks come from Anthropic models; Ponder cannot read them',
  server_tool_use: 'server tools are not supported',
  web_search_tool_result: 'server tools are not supported',
  web_fetch_tool_result: 'server tools are not supported',
  code_execution_tool_result: 'server tools are not supported',
  mcp_tool_use: 'MCP connector blocks are not supported',
  mcp_tool_result: 'MCP connector blocks are not supported',
  container_upload: 'container_upload is not supported',
};

const UNSET = (v: unknown): boolean => v === undefined || v === null;

function checkKnownUnsupported(body: Record<string, unknown>): void {
  for (const [key, why] of Object.entries(UNSUPPORTED_FIELDS)) {
    // `speed: 'standard'` is the one speed there is.
    if (UNSET(body[key]) || (key === 'speed' && body[key] === 'standard')) continue;
    throw invalidRequest(`${key}: ${why}.`);
  }
  const edits = (body.context_management as { edits?: unknown } | null | undefined)?.edits;
  if (Array.isArray(edits)) {
    edits.forEach((edit, i) => {
      const type = (edit as { type?: unknown } | null)?.type;
      if (type !== 'clear_thinking_20251015')
        throw invalidRequest(
          `context_management.edits.${i}.type: '${String(type)}' is not supported; Ponder applies clear_thinking_20251015 only.`,
        );
    });
  }
  if (Array.isArray(body.tools)) {
    body.tools.forEach((tool, i) => {
      const type = (tool as { type?: unknown } | null)?.type;
      if (type !== undefined && type !== 'custom') {
        throw invalidRequest(
          `tools.${i}.type: the server tool '${String(type)}' is not supported; define a custom tool with an input_schema.`,
        );
      }
    });
  }
  if (!Array.isArray(body.messages)) return;
  body.messages.forEach((m, i) => {
    const content = (m as { content?: unknown } | null)?.content;
    if (!Array.isArray(content)) return;
    content.forEach((block, j) => {
      const type = (block as { type?: unknown } | null)?.type;
      const why = typeof type === 'string' ? UNSUPPORTED_BLOCKS[type] : undefined;
      if (why) throw invalidRequest(`messages.${i}.content.${j}.type: ${why}.`);
      // Tool results may hold images too.
      const inner = (block as { content?: unknown }).content;
      if (type === 'tool_result' && Array.isArray(inner)) {
        inner.forEach((part, k) => {
          const t = (part as { type?: unknown } | null)?.type;
          if (t !== 'text')
            throw invalidRequest(
              `messages.${i}.content.${j}.content.${k}.type: only text tool results are supported (got '${String(t)}').`,
            );
        });
      }
    });
  });
}

/** For a value matching no branch of a union, the issue of the branch that got furthest (the most telling). */
function deepestIssue(
  issues: readonly z.core.$ZodIssue[],
  prefix: PropertyKey[] = [],
): z.core.$ZodIssue | undefined {
  const issue = issues[0];
  if (issue?.code !== 'invalid_union' || issue.errors.length === 0) {
    return issue ? { ...issue, path: [...prefix, ...issue.path] } : undefined;
  }
  let best: z.core.$ZodIssue | undefined;
  for (const branch of issue.errors) {
    const found = deepestIssue(branch, [...prefix, ...issue.path]);
    if (found && (!best || found.path.length > best.path.length)) best = found;
  }
  return best;
}

function parseWith<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidRequest('The body must be a JSON object.');
  }
  checkKnownUnsupported(body as Record<string, unknown>);
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = deepestIssue(parsed.error.issues);
  const path = issue?.path.map(String).join('.') || 'body';
  if (issue?.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => (path === 'body' ? k : `${path}.${k}`)).join(', ');
    throw invalidRequest(`${keys}: Extra inputs are not permitted.`);
  }
  if (issue?.code === 'invalid_type' && issue.input === undefined) {
    throw invalidRequest(`${path}: Field required.`);
  }
  throw invalidRequest(`${path}: ${issue?.message ?? 'invalid value'}.`);
}

/** API versions Anthropic documents. 2026-10-21 removed the sampling parameters (a 400 even at defaults). */
export const ANTHROPIC_VERSIONS = new Set(['2023-01-01', '2023-06-01', '2026-10-21']);
const SAMPLING_REMOVED_IN = '2026-10-21';

export function parseMessagesBody(body: unknown, version: string): ParsedMessages {
  if (version >= SAMPLING_REMOVED_IN && typeof body === 'object' && body !== null) {
    for (const key of ['temperature', 'top_p', 'top_k'])
      if (key in body)
        throw invalidRequest(
          `${key}: Extra inputs are not permitted (removed in API version ${SAMPLING_REMOVED_IN}).`,
        );
  }
  const b = parseWith(messagesRequestSchema, body);
  const request = toChatRequest(b);
  request.maxTokens = b.max_tokens;
  const thinkingBudget = request.thinking?.budgetTokens;
  if (b.thinking?.type === 'enabled' && thinkingBudget !== undefined && thinkingBudget >= b.max_tokens) {
    throw invalidRequest('thinking.budget_tokens: must be less than max_tokens.');
  }
  if (b.temperature !== undefined) request.temperature = b.temperature;
  if (b.top_p !== undefined) request.topP = b.top_p;
  if (b.top_k !== undefined) request.topK = b.top_k;
  return {
    request,
    stream: b.stream === true,
    stopSequences: b.stop_sequences ?? [],
    omitThinking: b.thinking?.type !== 'disabled' && b.thinking?.display === 'omitted',
  };
}

export function parseCountTokensBody(body: unknown): ChatRequest {
  return toChatRequest(parseWith(countTokensRequestSchema, body));
}

function toChatRequest(b: CountTokensRequest | MessagesRequest): ChatRequest {
  const messages = toMessages(b.messages);
  for (const edit of b.context_management?.edits ?? []) {
    if (edit.keep && edit.keep !== 'all') clearThinking(messages, edit.keep.value);
  }
  const system = typeof b.system === 'string' ? b.system : (b.system ?? []).map((s) => s.text).join('\n');
  if (system !== '') messages.unshift({ role: 'system', content: system });
  const request: ChatRequest = { model: b.model, messages, thinking: toThinking(b) };
  const tools = (b.tools ?? []).filter((t) => t.defer_loading !== true);
  if (tools.length > 0) {
    request.tools = tools.map((t) => ({
      name: t.name,
      ...(t.description ? { description: t.description } : {}),
      parameters: t.input_schema,
      ...(t.strict !== undefined ? { strict: t.strict } : {}),
    }));
  }
  const choice = b.tool_choice;
  if (choice) {
    if (choice.type !== 'none' && choice.type !== 'auto' && !request.tools) {
      throw invalidRequest(`tool_choice: '${choice.type}' needs tools.`);
    }
    if (choice.type === 'tool' && !request.tools?.some((t) => t.name === choice.name)) {
      throw invalidRequest(`tool_choice.name: '${choice.name}' is not among tools.`);
    }
    request.toolChoice =
      choice.type === 'tool' ? { name: choice.name } : choice.type === 'any' ? 'required' : choice.type;
    if (choice.type !== 'none' && choice.disable_parallel_tool_use !== undefined) {
      request.parallelToolCalls = !choice.disable_parallel_tool_use;
    }
  }
  const format = b.output_config?.format;
  if (format)
    request.responseFormat = { type: 'json_schema', name: 'output', schema: format.schema, strict: true };
  return request;
}

/**
 * Ponder's thinking, as Anthropic's: none unless asked (`thinking` absent or `disabled` closes the
 * reasoning at once); `enabled` with its budget; `adaptive` at `output_config.effort` (`xhigh` is Ponder's
 * `high`, `max` and no effort the plan's whole cap).
 */
function toThinking(b: CountTokensRequest | MessagesRequest): ThinkingOptions {
  const t = b.thinking;
  if (t === undefined || t.type === 'disabled') return { enabled: false };
  if (t.type === 'enabled') return { enabled: true, budgetTokens: t.budget_tokens };
  const effort = b.output_config?.effort;
  if (!effort || effort === 'max') return { enabled: true };
  return { enabled: true, effort: effort === 'xhigh' ? 'high' : effort };
}

/** `tool_result.content` as the text the model reads; an error result says so. */
function toolResultText(content: string | { text: string }[] | undefined, isError: boolean): string {
  const text = typeof content === 'string' ? content : (content ?? []).map((c) => c.text).join('\n');
  return isError ? `Error: ${text}` : text;
}

/** `clear_thinking_20251015` with `keep: {type: 'thinking_turns', value}`: the last `keep` turns keep theirs. */
function clearThinking(messages: ChatMessage[], keep: number): void {
  let kept = 0;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m?.reasoning === undefined) continue;
    if (kept < keep) kept++;
    else delete m.reasoning;
  }
}

function toMessages(input: AnthropicMessage[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  let openCalls = new Set<string>();
  input.forEach((m, i) => {
    if (m.role === 'system') {
      const text = typeof m.content === 'string' ? m.content : m.content.map((c) => c.text).join('\n');
      out.push({ role: 'system', content: text });
      return;
    }
    const blocks = typeof m.content === 'string' ? [{ type: 'text' as const, text: m.content }] : m.content;
    if (m.role === 'user') {
      const answered = new Set<string>();
      const texts: string[] = [];
      blocks.forEach((block, j) => {
        if (block.type === 'text') texts.push(block.text);
        else if (block.type === 'tool_result') {
          if (!openCalls.has(block.tool_use_id)) {
            throw invalidRequest(
              `messages.${i}.content.${j}: unexpected tool_use_id '${block.tool_use_id}' in tool_result blocks: each tool_result must answer a tool_use of the message before.`,
            );
          }
          answered.add(block.tool_use_id);
          out.push({
            role: 'tool',
            toolCallId: block.tool_use_id,
            content: toolResultText(block.content, block.is_error === true),
          });
        } else
          throw invalidRequest(
            `messages.${i}.content.${j}.type: '${block.type}' blocks belong to the assistant.`,
          );
      });
      const missing = [...openCalls].filter((id) => !answered.has(id));
      if (missing.length > 0) {
        throw invalidRequest(
          `messages.${i}: tool_use ids were found without tool_result blocks immediately after: ${missing.join(', ')}.`,
        );
      }
      openCalls = new Set();
      if (texts.length > 0) out.push({ role: 'user', content: texts.join('\n') });
      return;
    }
    if (openCalls.size > 0) {
      throw invalidRequest(
        `messages.${i}: the tool_use blocks of the message before need tool_result blocks first.`,
      );
    }
    let content = '';
    let reasoning = '';
    const toolCalls: ToolCall[] = [];
    blocks.forEach((block, j) => {
      if (block.type === 'text') content += block.text;
      else if (block.type === 'thinking') reasoning += block.thinking;
      else if (block.type === 'tool_use') {
        toolCalls.push({ id: block.id, name: block.name, arguments: JSON.stringify(block.input) });
        openCalls.add(block.id);
      } else
        throw invalidRequest(`messages.${i}.content.${j}.type: '${block.type}' blocks belong to the user.`);
    });
    const last = i === input.length - 1;
    // A turn that called tools keeps its reasoning (DeepSeek's rule, design §11), and a last assistant
    // message is continued (Anthropic's prefill) from where it stops; other turns' reasoning is dropped
    // by the model's history policy anyway.
    const keepReasoning = reasoning !== '' && (toolCalls.length > 0 || last);
    out.push({
      role: 'assistant',
      content,
      ...(keepReasoning ? { reasoning } : {}),
      ...(toolCalls.length > 0 ? { toolCalls } : {}),
    });
  });
  const lastInput = input.at(-1);
  if (lastInput?.role === 'assistant' && openCalls.size > 0) {
    throw invalidRequest(
      `messages.${input.length - 1}: a prefilled assistant message cannot end with tool_use.`,
    );
  }
  return out;
}
