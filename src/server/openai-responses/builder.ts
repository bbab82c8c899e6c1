/**
 * Builds one response from the turn's `ChatChunk`s: output items in the order the model produced them
 * (a reasoning item with Ponder's reasoning, a message with the answer, function calls), and — for a
 * stream — the Responses API's semantic events in their documented order, each with its
 * `sequence_number`: `response.created`, `response.in_progress`, then per item `output_item.added` →
 * (`content_part.added` → deltas → `….done` → `content_part.done`) → `output_item.done`, and one of
 * `response.completed` / `response.incomplete` / `response.failed`. A non-streamed response uses the
 * same builder and ignores the events.
 */
import { randomBytes } from 'node:crypto';
import type { ResponseItem } from '../../core/responses/items.ts';
import type { ChatChunk, FinishReason, UsageChunk } from '../../inference/types.ts';
import { type CitedSource, citationAnnotations, sourcesOf } from '../openai/citations.ts';

type Emit = (event: Record<string, unknown>) => Promise<void>;
type OpenItem =
  | { kind: 'reasoning'; index: number; id: string; text: string }
  | { kind: 'message'; index: number; id: string; text: string }
  | {
      kind: 'function_call';
      index: number;
      id: string;
      callId: string;
      name: string;
      arguments: string;
      chunkIndex: number;
    }
  | { kind: 'web_search_call'; index: number; id: string; query: string };

export const newItemId = (prefix: string): string => `${prefix}_${randomBytes(16).toString('hex')}`;

export interface BuilderOptions {
  /** The response's fixed fields: id, created_at, model and the echoed request fields. */
  base: Record<string, unknown>;
  /** Reasoning goes out as the item's summary (`reasoning.summary`) instead of its content. */
  summary: boolean;
  /** Seals reasoning for `encrypted_content` (`include: ['reasoning.encrypted_content']`). */
  seal?: (text: string) => Promise<string>;
  emit?: Emit;
  /** `include: ['web_search_call.action.sources']`: the pages a search found, on its item. */
  includeSources?: boolean;
}

export class ResponseBuilder {
  readonly #o: BuilderOptions;
  readonly #emit: Emit;
  readonly #output: Record<string, unknown>[] = [];
  /** The same output as Ponder's items, for a later `previous_response_id`. */
  readonly items: ResponseItem[] = [];
  #open: OpenItem | null = null;
  #sequence = 0;
  #usage: UsageChunk | undefined;
  #status: 'in_progress' | 'completed' | 'incomplete' | 'failed' = 'in_progress';
  #error: { code: string; message: string } | null = null;
  #completedAt: number | null = null;
  /** The sources of the last web search, which the answer's `[n]` cite. */
  #sources: CitedSource[] = [];

  constructor(options: BuilderOptions) {
    this.#o = options;
    this.#emit = options.emit ?? (async () => {});
  }

  get status(): string {
    return this.#status;
  }

  /** The response object as it stands (the final one after `finish`). */
  response(): Record<string, unknown> {
    const u = this.#usage;
    return {
      ...this.#o.base,
      object: 'response',
      status: this.#status,
      completed_at: this.#completedAt,
      error: this.#error,
      incomplete_details: this.#status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
      output: this.#output.map((item) => structuredClone(item)),
      usage:
        this.#status === 'in_progress' || !u
          ? null
          : {
              input_tokens: u.promptTokens,
              input_tokens_details: { cached_tokens: u.cachedPromptTokens },
              output_tokens: u.completionTokens,
              output_tokens_details: { reasoning_tokens: u.reasoningTokens },
              total_tokens: u.promptTokens + u.completionTokens,
            },
    };
  }

  async #event(type: string, fields: Record<string, unknown>): Promise<void> {
    await this.#emit({ type, ...fields, sequence_number: this.#sequence++ });
  }

  async start(): Promise<void> {
    await this.#event('response.created', { response: this.response() });
    await this.#event('response.in_progress', { response: this.response() });
  }

  async push(chunk: ChatChunk): Promise<void> {
    switch (chunk.type) {
      case 'reasoning':
        if (chunk.text === '') return;
        if (this.#open?.kind !== 'reasoning') await this.#openReasoning();
        await this.#delta(chunk.text);
        return;
      case 'text':
        if (chunk.text === '') return;
        if (this.#open?.kind !== 'message') await this.#openMessage();
        await this.#delta(chunk.text);
        return;
      case 'tool_call': {
        // A search Ponder runs itself comes whole, then its result.
        if (chunk.ponder) return this.#openSearch(chunk.arguments);
        const open = this.#open;
        if (open?.kind !== 'function_call' || open.chunkIndex !== chunk.index)
          await this.#openCall(chunk.index, chunk.id ?? newItemId('call'), chunk.name ?? '');
        await this.#delta(chunk.arguments);
        return;
      }
      case 'usage':
        this.#usage = chunk;
        return;
      case 'tool_result':
        if (this.#open?.kind === 'web_search_call') {
          this.#sources = sourcesOf(chunk.content);
          await this.#close(chunk.isError ? 'failed' : 'completed');
        }
        return;
      case 'queued':
      case 'done':
        return;
      default:
        chunk satisfies never;
    }
  }

  /** Closes the open item and ends the response; returns the terminal event's type. */
  async finish(reason: FinishReason, error?: string): Promise<string> {
    const incomplete = reason === 'length';
    const failed = reason === 'error' || reason === 'cancelled';
    await this.#close(incomplete || failed ? 'incomplete' : 'completed');
    this.#status = failed ? 'failed' : incomplete ? 'incomplete' : 'completed';
    if (failed) this.#error = { code: 'server_error', message: error ?? 'The generation failed.' };
    this.#completedAt = Math.floor(Date.now() / 1000);
    return `response.${this.#status}`;
  }

  /** An `error` event: the stream failed after its headers were sent. */
  async error(fields: { message: string; code: string | null; param: string | null }): Promise<void> {
    await this.#event('error', fields);
  }

  /** The terminal event (after the response was stored). */
  async end(type: string): Promise<void> {
    await this.#event(type, { response: this.response() });
  }

  async #add(open: OpenItem, item: Record<string, unknown>): Promise<void> {
    await this.#close('completed');
    this.#open = open;
    this.#output.push(item);
    await this.#event('response.output_item.added', {
      output_index: open.index,
      item: structuredClone(item),
    });
  }

  async #openReasoning(): Promise<void> {
    const open: OpenItem = { kind: 'reasoning', index: this.#output.length, id: newItemId('rs'), text: '' };
    await this.#add(open, {
      type: 'reasoning',
      id: open.id,
      summary: [],
      ...(this.#o.summary ? {} : { content: [] }),
    });
    const where = { item_id: open.id, output_index: open.index };
    if (this.#o.summary)
      await this.#event('response.reasoning_summary_part.added', {
        ...where,
        summary_index: 0,
        part: { type: 'summary_text', text: '' },
      });
    else
      await this.#event('response.content_part.added', {
        ...where,
        content_index: 0,
        part: { type: 'reasoning_text', text: '' },
      });
  }

  async #openMessage(): Promise<void> {
    const open: OpenItem = { kind: 'message', index: this.#output.length, id: newItemId('msg'), text: '' };
    await this.#add(open, {
      type: 'message',
      id: open.id,
      status: 'in_progress',
      role: 'assistant',
      content: [],
    });
    await this.#event('response.content_part.added', {
      item_id: open.id,
      output_index: open.index,
      content_index: 0,
      part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
    });
  }

  async #openCall(chunkIndex: number, callId: string, name: string): Promise<void> {
    const open: OpenItem = {
      kind: 'function_call',
      index: this.#output.length,
      id: newItemId('fc'),
      callId,
      name,
      arguments: '',
      chunkIndex,
    };
    await this.#add(open, {
      type: 'function_call',
      id: open.id,
      call_id: callId,
      name,
      arguments: '',
      status: 'in_progress',
    });
  }

  async #delta(delta: string): Promise<void> {
    const open = this.#open;
    if (!open || delta === '') return;
    const where = { item_id: open.id, output_index: open.index };
    switch (open.kind) {
      case 'reasoning':
        open.text += delta;
        if (this.#o.summary)
          await this.#event('response.reasoning_summary_text.delta', { ...where, summary_index: 0, delta });
        else await this.#event('response.reasoning_text.delta', { ...where, content_index: 0, delta });
        return;
      case 'message':
        open.text += delta;
        await this.#event('response.output_text.delta', { ...where, content_index: 0, delta, logprobs: [] });
        return;
      case 'function_call':
        open.arguments += delta;
        await this.#event('response.function_call_arguments.delta', { ...where, delta });
        return;
      case 'web_search_call':
        // A search has no deltas: it comes whole.
        return;
      default:
        open satisfies never;
    }
  }

  async #openSearch(args: string): Promise<void> {
    let query = '';
    try {
      const parsed = JSON.parse(args) as { query?: unknown };
      if (typeof parsed.query === 'string') query = parsed.query;
    } catch {
      // The query stays empty: the item still tells that a search ran.
    }
    const open: OpenItem = {
      kind: 'web_search_call',
      index: this.#output.length,
      id: newItemId('ws'),
      query,
    };
    await this.#add(open, { type: 'web_search_call', id: open.id, status: 'in_progress' });
    const where = { item_id: open.id, output_index: open.index };
    await this.#event('response.web_search_call.in_progress', where);
    await this.#event('response.web_search_call.searching', where);
  }

  async #close(status: 'completed' | 'incomplete' | 'failed'): Promise<void> {
    const open = this.#open;
    if (!open) return;
    this.#open = null;
    const where = { item_id: open.id, output_index: open.index };
    let item: Record<string, unknown>;
    switch (open.kind) {
      case 'reasoning': {
        const text = open.text;
        this.items.push({ type: 'reasoning', text });
        if (this.#o.summary) {
          const part = { type: 'summary_text', text };
          await this.#event('response.reasoning_summary_text.done', { ...where, summary_index: 0, text });
          await this.#event('response.reasoning_summary_part.done', { ...where, summary_index: 0, part });
        } else {
          await this.#event('response.reasoning_text.done', { ...where, content_index: 0, text });
          await this.#event('response.content_part.done', {
            ...where,
            content_index: 0,
            part: { type: 'reasoning_text', text },
          });
        }
        item = {
          type: 'reasoning',
          id: open.id,
          summary: this.#o.summary ? [{ type: 'summary_text', text }] : [],
          ...(this.#o.summary ? {} : { content: [{ type: 'reasoning_text', text }] }),
          ...(this.#o.seal ? { encrypted_content: await this.#o.seal(text) } : {}),
          status,
        };
        break;
      }
      case 'message': {
        const text = open.text;
        this.items.push({ type: 'message', role: 'assistant', text });
        const annotations = citationAnnotations(text, this.#sources).map(({ url_citation: c }) => ({
          type: 'url_citation',
          start_index: c.start_index,
          end_index: c.end_index,
          url: c.url,
          title: c.title,
        }));
        for (const [i, annotation] of annotations.entries())
          await this.#event('response.output_text.annotation.added', {
            ...where,
            content_index: 0,
            annotation_index: i,
            annotation,
          });
        const part = { type: 'output_text', text, annotations, logprobs: [] };
        await this.#event('response.output_text.done', { ...where, content_index: 0, text, logprobs: [] });
        await this.#event('response.content_part.done', { ...where, content_index: 0, part });
        item = { type: 'message', id: open.id, status, role: 'assistant', content: [part] };
        break;
      }
      case 'function_call':
        this.items.push({
          type: 'function_call',
          callId: open.callId,
          name: open.name,
          arguments: open.arguments,
        });
        await this.#event('response.function_call_arguments.done', {
          ...where,
          name: open.name,
          arguments: open.arguments,
        });
        item = {
          type: 'function_call',
          id: open.id,
          call_id: open.callId,
          name: open.name,
          arguments: open.arguments,
          status,
        };
        break;
      case 'web_search_call':
        await this.#event(`response.web_search_call.${status === 'failed' ? 'failed' : 'completed'}`, where);
        item = {
          type: 'web_search_call',
          id: open.id,
          status: status === 'incomplete' ? 'failed' : status,
          action: {
            type: 'search',
            query: open.query,
            ...(this.#o.includeSources
              ? { sources: this.#sources.map((source) => ({ type: 'url', url: source.url })) }
              : {}),
          },
        };
        break;
      default:
        return open satisfies never;
    }
    this.#output[open.index] = item;
    await this.#event('response.output_item.done', { output_index: open.index, item: structuredClone(item) });
  }
}
