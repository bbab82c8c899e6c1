/**
 * Turns the bytes of one streamed chat completion into ChatChunks: SSE lines → JSON events → normalised
 * reasoning/text, finish reason and usage. Pure (no I/O), so every fault is testable byte by byte.
 */
import type { DeltaNormaliser, OutputDelta, Segment } from '../reasoning-normaliser.ts';
import type { ChatChunk, FinishReason, UsageChunk } from '../types.ts';
import { classifySseLine, SseLineSplitter, SseLineTooLong } from './sse.ts';
import { ToolCallDeltas } from './tool-call-deltas.ts';
import { errorMessageOf, mapFinishReason, mapUsage, sanitiseDetail } from './wire.ts';

export type DecodedEvent = ChatChunk;

interface CompletionChoice {
  delta?: OutputDelta & { tool_calls?: unknown };
  message?: OutputDelta & { tool_calls?: unknown };
  finish_reason?: unknown;
}

export class StreamDecoder {
  private readonly lines: SseLineSplitter;
  private finishReason: FinishReason | undefined;
  private usage: UsageChunk | undefined;
  private outputDeltas = 0;
  private reasoningDeltas = 0;
  private eventName = '';
  private ended = false;
  private readonly toolCalls = new ToolCallDeltas();

  constructor(
    private readonly normaliser: DeltaNormaliser,
    /** Names the upstream in messages, e.g. `upstream "a" (http://host/v1)`. */
    private readonly label: string,
    private readonly secrets: readonly (string | undefined)[],
    /** Cap on one SSE line; a longer one ends the stream with an error. Default 1 MiB. */
    maxEventBytes?: number,
  ) {
    this.lines = new SseLineSplitter(maxEventBytes);
  }

  /** Whether any reasoning, text or tool call has been produced (a retry elsewhere is then no longer invisible). */
  get producedOutput(): boolean {
    return this.outputDeltas > 0;
  }

  push(bytes: Uint8Array): DecodedEvent[] {
    const out: DecodedEvent[] = [];
    if (this.ended) return out;
    let lines: string[];
    try {
      lines = this.lines.push(bytes);
    } catch (err) {
      if (!(err instanceof SseLineTooLong)) throw err;
      return this.close(out, 'error', `${this.label} sent an event larger than ${err.limit} bytes`);
    }
    for (const line of lines) {
      if (this.ended) break;
      this.line(line, out);
    }
    return out;
  }

  /** The body ended. Without `[DONE]` or a finish reason the answer may be cut: that is an error. */
  end(): DecodedEvent[] {
    const out: DecodedEvent[] = [];
    for (const line of this.lines.end()) {
      if (this.ended) return out;
      this.line(line, out);
    }
    if (this.ended) return out;
    if (this.finishReason) return this.close(out, this.finishReason);
    return this.close(out, 'error', `${this.label} ended the stream before the answer was complete`);
  }

  /** Ends with an error (or `cancelled`), keeping what was produced so far. */
  fail(reason: string): DecodedEvent[] {
    if (this.ended) return [];
    return reason === 'cancelled' ? this.close([], 'cancelled') : this.close([], 'error', reason);
  }

  /** A whole non-streamed completion (a server that ignored `stream: true`). */
  completeJson(text: string): DecodedEvent[] {
    const out: DecodedEvent[] = [];
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return this.close(out, 'error', `${this.label} sent a response that is not valid JSON`);
    }
    this.event(body, out);
    if (this.ended) return out;
    return this.close(out, this.finishReason ?? 'stop');
  }

  private line(line: string, out: DecodedEvent[]): void {
    const parsed = classifySseLine(line);
    switch (parsed.kind) {
      case 'blank':
        this.eventName = '';
        return;
      case 'comment':
        return;
      case 'malformed':
        this.close(out, 'error', `${this.label} sent a malformed stream line`);
        return;
      case 'field':
        break;
      default:
        parsed satisfies never;
        return;
    }
    switch (parsed.name) {
      case 'event':
        this.eventName = parsed.value;
        return;
      case 'id':
      case 'retry':
        return;
      case 'error':
        this.upstreamError(parsed.value, out);
        return;
      case 'data':
        break;
      default:
        parsed.name satisfies never;
        return;
    }
    const data = parsed.value;
    if (data.trim() === '[DONE]') {
      this.close(out, this.finishReason ?? 'stop');
      return;
    }
    if (this.eventName === 'error') {
      this.upstreamError(data, out);
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      this.close(out, 'error', `${this.label} sent a malformed stream event (not JSON)`);
      return;
    }
    this.event(json, out);
  }

  private event(json: unknown, out: DecodedEvent[]): void {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      this.close(out, 'error', `${this.label} sent a malformed stream event`);
      return;
    }
    const obj = json as { error?: unknown; choices?: unknown; usage?: unknown };
    if (obj.error !== undefined && obj.error !== null) {
      this.upstreamError(json, out);
      return;
    }
    if (Array.isArray(obj.choices) && obj.choices.length > 0) {
      const choice = obj.choices[0] as CompletionChoice | null;
      const delta = choice?.delta ?? choice?.message;
      if (delta && typeof delta === 'object') {
        this.segments(this.normaliser.push(delta), out);
        const calls = this.toolCalls.push(delta.tool_calls);
        if (calls.length > 0) this.outputDeltas++;
        out.push(...calls);
      }
      const finish = mapFinishReason(choice?.finish_reason);
      if (finish) this.finishReason = finish;
    }
    if (obj.usage !== undefined && obj.usage !== null) {
      this.usage = mapUsage(obj.usage, this.reasoningDeltas) ?? this.usage;
    }
  }

  private segments(segments: Segment[], out: DecodedEvent[]): void {
    if (segments.length === 0) return;
    // One delta is one token on every server we know; used only when the server reports no usage.
    this.outputDeltas++;
    if (segments.some((s) => s.type === 'reasoning')) this.reasoningDeltas++;
    for (const s of segments) out.push({ type: s.type, text: s.text });
  }

  private upstreamError(raw: unknown, out: DecodedEvent[]): void {
    let payload = raw;
    if (typeof raw === 'string') {
      try {
        payload = JSON.parse(raw);
      } catch {
        payload = raw;
      }
    }
    const detail = sanitiseDetail(errorMessageOf(payload) ?? 'unknown error', this.secrets);
    this.close(out, 'error', `${this.label} reported an error: ${detail}`);
  }

  private close(out: DecodedEvent[], finishReason: FinishReason, error?: string): DecodedEvent[] {
    if (this.ended) return out;
    this.ended = true;
    for (const s of this.normaliser.flush()) out.push({ type: s.type, text: s.text });
    const usage =
      this.usage ??
      (this.outputDeltas > 0
        ? {
            type: 'usage' as const,
            promptTokens: 0,
            cachedPromptTokens: 0,
            completionTokens: this.outputDeltas,
            reasoningTokens: this.reasoningDeltas,
          }
        : undefined);
    if (usage) out.push(usage);
    // Some servers (older Ollama) end a turn that called tools with `stop`.
    const reason = finishReason === 'stop' && this.toolCalls.count > 0 ? 'tool_calls' : finishReason;
    out.push(
      error === undefined
        ? { type: 'done', finishReason: reason }
        : { type: 'done', finishReason: reason, error },
    );
    return out;
  }
}
