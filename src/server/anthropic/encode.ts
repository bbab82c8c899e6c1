/**
 * ChatChunks in the Anthropic Messages API's shapes: one `message` object, or the stream's events
 * (`message_start`, `content_block_start` / `_delta` / `_stop` per block, `message_delta`, `message_stop`).
 * Blocks come in the order the model writes them: thinking, then text, then tool_use.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { AnthropicStopReason, AnthropicUsage } from '../../api/anthropic.ts';
import type { ChatChunk, UsageChunk } from '../../inference/types.ts';

type ToolCallChunk = Extract<ChatChunk, { type: 'tool_call' }>;

export const messageId = (): string => `msg_${randomBytes(12).toString('base64url')}`;

/**
 * A thinking block's `signature`. Anthropic's proves its hidden thinking untouched; Ponder's thinking is
 * the client's to read and send back, so this is only a digest of the text (nothing secret, not checked).
 */
export const thinkingSignature = (thinking: string): string =>
  `ponder:${createHash('sha256').update(thinking).digest('base64url')}`;

/** Prompt tokens Ponder reused from a slot's cache count as cache reads; the rest as input. */
export function toAnthropicUsage(u: UsageChunk | undefined): AnthropicUsage {
  const prompt = u?.promptTokens ?? 0;
  const cached = u?.cachedPromptTokens ?? 0;
  return {
    input_tokens: prompt - cached,
    output_tokens: u?.completionTokens ?? 0,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
    output_tokens_details: { thinking_tokens: u?.reasoningTokens ?? 0 },
    service_tier: 'standard',
  };
}

export interface TurnResult {
  reasoning: string;
  text: string;
  toolCalls: { id: string; name: string; arguments: string }[];
  stopReason: AnthropicStopReason;
  stopSequence: string | null;
  usage: UsageChunk | undefined;
}

/** Arguments as the `input` object; a model that wrote something else than an object gets `{}`'s worth. */
function toolInput(args: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(args || '{}');
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : { value };
  } catch {
    return { _raw: args };
  }
}

export function messageObject(id: string, model: string, r: TurnResult, omitThinking = false): object {
  const content: object[] = [];
  if (r.reasoning !== '')
    content.push({
      type: 'thinking',
      thinking: omitThinking ? '' : r.reasoning,
      signature: thinkingSignature(r.reasoning),
    });
  if (r.text !== '') content.push({ type: 'text', text: r.text });
  for (const c of r.toolCalls)
    content.push({ type: 'tool_use', id: c.id, name: c.name, input: toolInput(c.arguments) });
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: r.stopReason,
    stop_sequence: r.stopSequence,
    usage: toAnthropicUsage(r.usage),
  };
}

/** An SSE event the way Anthropic writes them: the `event:` name repeats `data.type`. */
export const sseEvent = (data: { type: string }): string =>
  `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;

type OpenBlock =
  | { kind: 'thinking'; text: string }
  | { kind: 'text' }
  | { kind: 'tool_use'; callIndex: number };

/** The events of one streamed message, block by block; each method returns the events to write. */
export class MessageStreamEncoder {
  readonly id = messageId();
  #index = -1;
  #open: OpenBlock | undefined;

  constructor(
    private readonly model: string,
    /** `display: 'omitted'`: thinking blocks carry only their signature. */
    private readonly omitThinking = false,
  ) {}

  start(): string {
    return sseEvent({
      type: 'message_start',
      message: {
        id: this.id,
        type: 'message',
        role: 'assistant',
        model: this.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        // Counted once the prompt is read: the final figures come in `message_delta`.
        usage: toAnthropicUsage(undefined),
      },
    } as { type: string });
  }

  thinking(text: string): string {
    let out = '';
    if (this.#open?.kind !== 'thinking') {
      out += this.#openBlock(
        { kind: 'thinking', text: '' },
        { type: 'thinking', thinking: '', signature: '' },
      );
    }
    if (this.#open?.kind === 'thinking') this.#open.text += text;
    return this.omitThinking ? out : out + this.#delta({ type: 'thinking_delta', thinking: text });
  }

  text(text: string): string {
    let out = '';
    if (this.#open?.kind !== 'text') out += this.#openBlock({ kind: 'text' }, { type: 'text', text: '' });
    return out + this.#delta({ type: 'text_delta', text });
  }

  /** The first piece of a call opens its `tool_use` block; further pieces stream its input JSON. */
  toolCall(c: ToolCallChunk): string {
    let out = '';
    const open = this.#open;
    if (open?.kind !== 'tool_use' || open.callIndex !== c.index) {
      out += this.#openBlock(
        { kind: 'tool_use', callIndex: c.index },
        {
          type: 'tool_use',
          id: c.id ?? `toolu_${randomBytes(12).toString('base64url')}`,
          name: c.name ?? '',
          input: {},
        },
      );
    }
    if (c.arguments === '') return out;
    return out + this.#delta({ type: 'input_json_delta', partial_json: c.arguments });
  }

  finish(
    stopReason: AnthropicStopReason,
    stopSequence: string | null,
    usage: UsageChunk | undefined,
  ): string {
    return (
      this.#close() +
      sseEvent({
        type: 'message_delta',
        delta: { stop_reason: stopReason, stop_sequence: stopSequence },
        usage: toAnthropicUsage(usage),
      } as { type: string }) +
      sseEvent({ type: 'message_stop' })
    );
  }

  /** Closes the open block (an error ends the stream right after). */
  close(): string {
    return this.#close();
  }

  #openBlock(block: OpenBlock, contentBlock: object): string {
    const out = this.#close();
    this.#index += 1;
    this.#open = block;
    return (
      out +
      sseEvent({ type: 'content_block_start', index: this.#index, content_block: contentBlock } as {
        type: string;
      })
    );
  }

  #delta(delta: object): string {
    return sseEvent({ type: 'content_block_delta', index: this.#index, delta } as { type: string });
  }

  #close(): string {
    const open = this.#open;
    if (!open) return '';
    this.#open = undefined;
    // A thinking block ends with its signature, as Anthropic's do.
    const signature =
      open.kind === 'thinking'
        ? this.#delta({ type: 'signature_delta', signature: thinkingSignature(open.text) })
        : '';
    return signature + sseEvent({ type: 'content_block_stop', index: this.#index } as { type: string });
  }
}
