/**
 * ChatChunks in OpenAI's shapes: `chat.completion.chunk` deltas for streams and one `chat.completion`
 * object otherwise. Reasoning goes out twice under both names clients read: `reasoning_content`
 * (DeepSeek, SGLang) and `reasoning` (vLLM, Ollama, OpenRouter).
 */
import { randomBytes } from 'node:crypto';
import type { OpenAiUsage } from '../../api/openai.ts';
import type { ChatChunk, FinishReason, ToolCall, UsageChunk } from '../../inference/types.ts';

type ToolCallChunk = Extract<ChatChunk, { type: 'tool_call' }>;

export function completionId(): string {
  return `chatcmpl-${randomBytes(12).toString('base64url')}`;
}

export function toOpenAiUsage(u: UsageChunk): OpenAiUsage {
  return {
    prompt_tokens: u.promptTokens,
    completion_tokens: u.completionTokens,
    total_tokens: u.promptTokens + u.completionTokens,
    prompt_tokens_details: { cached_tokens: u.cachedPromptTokens },
    completion_tokens_details: { reasoning_tokens: u.reasoningTokens },
    prompt_cache_hit_tokens: u.cachedPromptTokens,
    prompt_cache_miss_tokens: u.promptTokens - u.cachedPromptTokens,
  };
}

/**
 * OpenAI knows `stop` and `length`. A cancelled generation either has no client left to tell (it
 * disconnected) or was cut by graceful shutdown: that gets DeepSeek's `insufficient_system_resource`
 * ("interrupted by the inference system"), so clients can tell a cut answer from a finished one.
 */
export function toOpenAiFinish(
  reason: FinishReason,
): 'stop' | 'length' | 'tool_calls' | 'insufficient_system_resource' {
  if (reason === 'cancelled') return 'insufficient_system_resource';
  if (reason === 'tool_calls') return 'tool_calls';
  return reason === 'length' ? 'length' : 'stop';
}

const EMPTY_USAGE: UsageChunk = {
  type: 'usage',
  promptTokens: 0,
  cachedPromptTokens: 0,
  completionTokens: 0,
  reasoningTokens: 0,
};

/** Builds the `chat.completion.chunk` objects of one streamed completion. */
export class StreamEncoder {
  readonly id = completionId();
  readonly created = Math.floor(Date.now() / 1000);

  constructor(private readonly model: string) {}

  #chunk(delta: Record<string, unknown>, finish: string | null): object {
    return {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      system_fingerprint: 'ponder',
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    };
  }

  role(): object {
    return this.#chunk({ role: 'assistant', content: '' }, null);
  }

  reasoning(text: string): object {
    return this.#chunk({ reasoning_content: text, reasoning: text }, null);
  }

  text(text: string): object {
    return this.#chunk({ content: text }, null);
  }

  /** OpenAI's shape: the first piece of a call has `id`, `type` and `function.name`, later ones arguments only. */
  toolCall(c: ToolCallChunk): object {
    const fn = c.name === undefined ? { arguments: c.arguments } : { name: c.name, arguments: c.arguments };
    const call =
      c.id === undefined
        ? { index: c.index, function: fn }
        : { index: c.index, id: c.id, type: 'function', function: fn };
    return this.#chunk({ tool_calls: [call] }, null);
  }

  /** The answer's citations, in one delta before the finish (as OpenAI streams a searched answer's). */
  annotations(annotations: object[]): object {
    return this.#chunk({ annotations }, null);
  }

  finish(reason: FinishReason): object {
    return this.#chunk({}, toOpenAiFinish(reason));
  }

  usage(u: UsageChunk | undefined): object {
    return {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      system_fingerprint: 'ponder',
      choices: [],
      usage: toOpenAiUsage(u ?? EMPTY_USAGE),
    };
  }
}

export function completionObject(
  model: string,
  result: {
    text: string;
    reasoning: string;
    finish: FinishReason;
    usage: UsageChunk | undefined;
    toolCalls?: ToolCall[];
    /** `url_citation`s of a web-searched answer. */
    annotations?: object[];
  },
): object {
  const calls = result.toolCalls ?? [];
  return {
    id: completionId(),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    system_fingerprint: 'ponder',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          // OpenAI sends `content: null` beside tool calls when the model wrote no text.
          content: calls.length > 0 && result.text === '' ? null : result.text,
          ...(calls.length > 0
            ? {
                tool_calls: calls.map((c) => ({
                  id: c.id,
                  type: 'function',
                  function: { name: c.name, arguments: c.arguments },
                })),
              }
            : {}),
          reasoning_content: result.reasoning || null,
          reasoning: result.reasoning || null,
          ...(result.annotations ? { annotations: result.annotations } : {}),
        },
        logprobs: null,
        finish_reason: toOpenAiFinish(result.finish),
      },
    ],
    usage: toOpenAiUsage(result.usage ?? EMPTY_USAGE),
  };
}
