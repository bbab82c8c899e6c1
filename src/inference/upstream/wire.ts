/**
 * The OpenAI chat-completions wire format as spoken by vLLM, SGLang, Ollama, llama-server, the DeepSeek
 * API and Ponder itself: request body mapping, usage mapping, error-message extraction.
 */
import { stripHistoricalReasoning } from '../history.ts';
import type { ChatMessage, ChatRequest, FinishReason, UsageChunk } from '../types.ts';
import { DEFAULT_TEMPERATURE, DEFAULT_TOP_P, effortToBudget } from '../types.ts';

export interface WireMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  /** `null` on an assistant turn that only called tools, as OpenAI sends it (some servers refuse `''`). */
  content: string | null;
  /** DeepSeek's prefix completion: the answer continues this (last, assistant) message. */
  prefix?: true;
  tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
  tool_call_id?: string;
  /** The reasoning of a turn that called tools, which DeepSeek's API wants back within a tool loop. */
  reasoning_content?: string;
}

/**
 * The trailing assistant message to continue. Cut off while thinking (no answer yet), it goes as an open
 * `<think>` block, so the server's template and reasoning parser see the model still thinking; otherwise
 * the answer alone, as templates drop earlier reasoning anyway.
 */
function continuationMessage(m: ChatMessage): WireMessage {
  const reasoning = m.reasoning ?? '';
  const content = m.content === '' && reasoning !== '' ? `<think>\n${reasoning}` : m.content;
  return { role: 'assistant', content, prefix: true };
}

/**
 * Maps a ChatRequest to a streaming chat-completions body.
 *
 * Thinking controls: servers disagree, and unknown fields are ignored by vLLM, SGLang, Ollama, llama-server
 * and the DeepSeek API, so each server's own field is sent and the rest ignore it. Nothing extra is sent
 * for the default (`thinking` enabled, no budget), so plain OpenAI-compatible servers see a plain request.
 * - budget (explicit, or from an effort): `reasoning_budget_tokens` (llama-server; 0 is ignored there, so
 *   at least 1), `thinking_token_budget` (vLLM), `thinking: {type:'enabled', budget_tokens}` (DeepSeek
 *   API, Anthropic-style, and Ponder's own `/v1`);
 * - effort: `reasoning_effort` (OpenAI-style; vLLM passes it to templates that use it);
 * - thinking off: `chat_template_kwargs: {enable_thinking:false, thinking:false}` (Qwen3-style and
 *   DeepSeek-V3.1-style templates in vLLM/SGLang/llama-server; templates without the variable ignore it),
 *   `reasoning_budget_tokens: 1` / `thinking_token_budget: 1` (closes a forced `<think>` at once), and
 *   `thinking: {type:'disabled'}`. R1-distill templates always open `<think>`, so a server may still return
 *   a short reasoning block: it is passed on, as it is what the model did.
 * Earlier turns' reasoning is stripped by the history policy; with `keepReasoning` it goes back inline as
 * `<think>…</think>`, because the DeepSeek API rejects `reasoning_content` in input messages.
 */
export function buildChatBody(req: ChatRequest, keepReasoning: boolean): Record<string, unknown> {
  const messages = stripHistoricalReasoning(req.messages, { keepReasoning }).map(wireMessage);
  const last = req.messages.at(-1);
  const continuing = last?.role === 'assistant';
  if (continuing && last) messages[messages.length - 1] = continuationMessage(last);
  const body: Record<string, unknown> = {
    model: req.model,
    messages,
    stream: true,
    stream_options: { include_usage: true },
    temperature: req.temperature ?? DEFAULT_TEMPERATURE,
    top_p: req.topP ?? DEFAULT_TOP_P,
  };
  if (continuing) {
    // Prefix completion: vLLM, SGLang and llama-server render the last assistant message open and go
    // on from it; the DeepSeek API reads `prefix: true` on it (its beta endpoint). Each ignores the other.
    body.continue_final_message = true;
    body.add_generation_prompt = false;
  }
  Object.assign(body, toolFields(req));
  if (req.maxTokens !== undefined) body.max_tokens = req.maxTokens;
  if (req.stop && req.stop.length > 0) body.stop = req.stop;
  if (req.seed !== undefined) body.seed = req.seed;
  // vLLM, SGLang, llama-server and Ponder take `top_k` on their OpenAI-compatible endpoints.
  if (req.topK !== undefined) body.top_k = req.topK;
  const thinking = req.thinking;
  if (thinking && !thinking.enabled) {
    body.chat_template_kwargs = { enable_thinking: false, thinking: false };
    body.reasoning_budget_tokens = 1;
    body.thinking_token_budget = 1;
    body.thinking = { type: 'disabled' };
  } else if (thinking) {
    const budget = effortToBudget(thinking);
    if (budget !== undefined) {
      body.reasoning_budget_tokens = Math.max(1, budget);
      body.thinking_token_budget = Math.max(1, budget);
      body.thinking = { type: 'enabled', budget_tokens: budget };
    }
    if (thinking.effort) body.reasoning_effort = thinking.effort;
  }
  return body;
}

function wireMessage(m: ChatMessage): WireMessage {
  if (m.role === 'tool') return { role: 'tool', content: m.content, tool_call_id: m.toolCallId ?? '' };
  if (m.role !== 'assistant') return { role: m.role, content: m.content };
  if (m.toolCalls && m.toolCalls.length > 0) {
    return {
      role: 'assistant',
      content: m.content === '' ? null : m.content,
      tool_calls: m.toolCalls.map((c) => ({
        id: c.id,
        type: 'function',
        function: { name: c.name, arguments: c.arguments },
      })),
      ...(m.reasoning ? { reasoning_content: m.reasoning } : {}),
    };
  }
  return m.reasoning
    ? { role: m.role, content: `<think>\n${m.reasoning}\n</think>\n\n${m.content}` }
    : { role: m.role, content: m.content };
}

/**
 * Tools, tool choice and structured output in OpenAI's shapes, which vLLM (with a tool parser), SGLang,
 * llama-server (`--jinja`), Ollama and the DeepSeek API all read. Only what the request sets is sent.
 */
function toolFields(req: ChatRequest): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (req.tools && req.tools.length > 0) {
    out.tools = req.tools.map((t) => ({
      type: 'function',
      function: {
        name: t.name,
        ...(t.description === undefined ? {} : { description: t.description }),
        ...(t.parameters === undefined ? {} : { parameters: t.parameters }),
        ...(t.strict === undefined ? {} : { strict: t.strict }),
      },
    }));
    if (req.parallelToolCalls !== undefined) out.parallel_tool_calls = req.parallelToolCalls;
  }
  const choice = req.toolChoice;
  if (choice !== undefined && (out.tools || choice === 'none')) {
    out.tool_choice =
      typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
  }
  const format = req.responseFormat;
  if (format?.type === 'json_object') out.response_format = { type: 'json_object' };
  else if (format?.type === 'json_schema') {
    const { name, schema, strict, description } = format;
    out.response_format = {
      type: 'json_schema',
      json_schema: {
        name,
        schema,
        ...(strict === undefined ? {} : { strict }),
        ...(description === undefined ? {} : { description }),
      },
    };
  }
  return out;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/**
 * Maps an OpenAI-style `usage` object. Cached prompt tokens come from `prompt_tokens_details.cached_tokens`
 * (OpenAI, vLLM, SGLang) or `prompt_cache_hit_tokens` (DeepSeek API). When the server does not report
 * reasoning tokens (llama-server, Ollama), `reasoningEstimate` (streamed reasoning deltas) is used.
 */
export function mapUsage(raw: unknown, reasoningEstimate: number): UsageChunk | undefined {
  const u = record(raw);
  if (!u) return undefined;
  const promptTokens = count(u.prompt_tokens);
  const completionTokens = count(u.completion_tokens);
  if (promptTokens === undefined && completionTokens === undefined) return undefined;
  const completion = completionTokens ?? 0;
  const cached =
    count(record(u.prompt_tokens_details)?.cached_tokens) ?? count(u.prompt_cache_hit_tokens) ?? 0;
  const reasoning = count(record(u.completion_tokens_details)?.reasoning_tokens) ?? reasoningEstimate;
  return {
    type: 'usage',
    promptTokens: promptTokens ?? 0,
    cachedPromptTokens: Math.min(cached, promptTokens ?? cached),
    completionTokens: completion,
    reasoningTokens: Math.min(reasoning, completion),
  };
}

export function mapFinishReason(raw: unknown): FinishReason | undefined {
  if (raw === null || raw === undefined) return undefined;
  if (raw === 'length') return 'length';
  // `function_call` is OpenAI's legacy name for the same ending.
  if (raw === 'tool_calls' || raw === 'function_call') return 'tool_calls';
  // content_filter, eos…: the model stopped.
  return 'stop';
}

/** Finds a human-readable message in an error payload: `{error:{message}}`, `{error:"…"}`, `{message}`, `{detail}`. */
export function errorMessageOf(payload: unknown): string | undefined {
  const p = record(payload);
  if (!p) return typeof payload === 'string' && payload !== '' ? payload : undefined;
  const err = p.error;
  if (typeof err === 'string' && err !== '') return err;
  const inner = record(err);
  if (inner && typeof inner.message === 'string' && inner.message !== '') return inner.message;
  if (typeof p.message === 'string' && p.message !== '') return p.message;
  if (typeof p.detail === 'string' && p.detail !== '') return p.detail;
  return undefined;
}

/** Makes upstream-supplied text safe to show: one line, bounded, secrets removed. */
export function sanitiseDetail(text: string, secrets: readonly (string | undefined)[]): string {
  let s = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  for (const secret of secrets) {
    if (secret && secret.length >= 4) s = s.split(secret).join('[redacted]');
  }
  return s.length > 300 ? `${s.slice(0, 300)}…` : s;
}

/** A base URL fit for messages and admin output: no userinfo, no query. */
export function displayUrl(baseUrl: string): string {
  try {
    const u = new URL(baseUrl);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return '(invalid url)';
  }
}

/**
 * Takes `user:pass@` out of a base URL: WHATWG fetch refuses URLs with credentials, so they travel as an
 * `Authorization: Basic` header instead (and are redacted like an API key).
 */
export function splitCredentials(baseUrl: string): {
  url: string;
  basic?: { header: string; password: string };
} {
  let u: URL;
  try {
    u = new URL(baseUrl);
  } catch {
    return { url: baseUrl };
  }
  if (u.username === '' && u.password === '') return { url: baseUrl };
  const user = decodeURIComponent(u.username);
  const password = decodeURIComponent(u.password);
  u.username = '';
  u.password = '';
  const header = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  return { url: u.href.replace(/\/$/, baseUrl.endsWith('/') ? '/' : ''), basic: { header, password } };
}

/** Joins the configured base URL (which normally ends in `/v1`) and an endpoint path. */
export function endpoint(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${path}`;
}

/** Turns undici's "fetch failed" into the cause a person can act on (ECONNREFUSED, ENOTFOUND…). */
export function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  if (code === 'ECONNREFUSED') return 'refused the connection (ECONNREFUSED)';
  if (code === 'ENOTFOUND') return 'could not be resolved (ENOTFOUND)';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return `closed the connection (${code})`;
  if (code) return `could not be reached (${code})`;
  // e.g. "unexpected redirect": redirects are refused so the API key never follows one elsewhere.
  const message =
    typeof cause?.message === 'string' ? cause.message : err instanceof Error ? err.message : String(err);
  return `could not be reached: ${message}`;
}

export async function readBounded(res: Response, limit: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, limit));
}
