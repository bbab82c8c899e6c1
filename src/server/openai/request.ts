/**
 * Turns an OpenAI/DeepSeek chat completion body into Ponder's `ChatRequest`, with errors that name the
 * offending parameter the way OpenAI does (`param`).
 */
import { type ChatCompletionRequest, chatCompletionRequestSchema } from '../../api/openai.ts';
import type { ChatMessage, ChatRequest, ThinkingOptions } from '../../inference/types.ts';
import { HttpError } from '../errors.ts';

export interface ParsedCompletion {
  request: ChatRequest;
  stream: boolean;
  includeUsage: boolean;
}

const invalid = (message: string, param: string | null): HttpError =>
  new HttpError(400, 'invalid_request', message, { details: { param } });

export function parseCompletionBody(body: unknown): ParsedCompletion {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid('The body must be a JSON object.', null);
  }
  const parsed = chatCompletionRequestSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const param = issue ? formatPath(issue.path) : null;
    throw invalid(`Invalid value for '${param ?? 'body'}': ${issue?.message ?? 'invalid'}.`, param);
  }
  const b = parsed.data;
  const maxTokens = b.max_completion_tokens ?? b.max_tokens ?? undefined;
  const request: ChatRequest = {
    model: b.model,
    messages: toMessages(b),
    thinking: toThinking(b),
  };
  if (maxTokens !== undefined) request.maxTokens = maxTokens;
  if (b.temperature != null) request.temperature = b.temperature;
  if (b.top_p != null) request.topP = b.top_p;
  if (b.seed != null) request.seed = b.seed;
  if (b.stop != null) request.stop = typeof b.stop === 'string' ? [b.stop] : b.stop;
  return { request, stream: b.stream === true, includeUsage: b.stream_options?.include_usage === true };
}

function toMessages(b: ChatCompletionRequest): ChatMessage[] {
  return b.messages.map((m, i): ChatMessage => {
    if (m.role === 'tool') throw invalid('Tool messages are not supported.', `messages[${i}].role`);
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
    // `developer` is OpenAI's newer name for `system`. Reasoning sent back by clients is dropped here:
    // the history policy strips earlier turns' reasoning anyway (design §3).
    const role = m.role === 'developer' ? 'system' : m.role;
    return { role, content };
  });
}

function toThinking(b: ChatCompletionRequest): ThinkingOptions {
  if (b.thinking?.type === 'disabled') return { enabled: false };
  if (b.thinking?.budget_tokens != null) return { enabled: true, budgetTokens: b.thinking.budget_tokens };
  const effort = b.reasoning_effort ?? b.reasoning?.effort ?? undefined;
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

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out || 'body';
}
