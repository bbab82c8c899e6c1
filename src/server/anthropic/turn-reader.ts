/**
 * Reads one completion's chunks for the Messages API: applies `stop_sequences` to the answer text, hands
 * each piece to a sink (a JSON collector or the SSE stream), and says how the message ended.
 */
import type { AnthropicStopReason } from '../../api/anthropic.ts';
import type { ChatChunk, UsageChunk } from '../../inference/types.ts';
import { HttpError } from '../errors.ts';
import { OVERLOADED_STATUS } from './errors.ts';
import { StopSequenceScanner } from './stop-sequences.ts';

type ToolCallChunk = Extract<ChatChunk, { type: 'tool_call' }>;

export interface TurnSink {
  queued(): Promise<void>;
  thinking(text: string): Promise<void>;
  text(text: string): Promise<void>;
  toolCall(chunk: ToolCallChunk): Promise<void>;
}

export type TurnEnd =
  | { ok: true; stopReason: AnthropicStopReason; stopSequence: string | null; usage: UsageChunk | undefined }
  | { ok: false; error: HttpError };

const STOP_REASON = { stop: 'end_turn', length: 'max_tokens', tool_calls: 'tool_use' } as const;

/**
 * Reads to the end. On a stop sequence the generation is stopped (`stop()`) and the rest of the stream
 * is read only for its usage; the `done` of a cut turn (shutdown) or a failed one ends it with an error.
 */
export async function readTurn(
  first: IteratorResult<ChatChunk>,
  chunks: AsyncIterator<ChatChunk>,
  stopSequences: readonly string[],
  stop: () => void,
  sink: TurnSink,
): Promise<TurnEnd> {
  const scanner = new StopSequenceScanner(stopSequences);
  let usage: UsageChunk | undefined;
  const flush = async (): Promise<void> => {
    const held = scanner.flush();
    if (held !== '') await sink.text(held);
  };
  for (let r = first; !r.done; r = await chunks.next()) {
    const c = r.value;
    if (scanner.matched !== null && c.type !== 'usage' && c.type !== 'done') continue;
    switch (c.type) {
      case 'queued':
        await sink.queued();
        break;
      case 'reasoning':
        await sink.thinking(c.text);
        break;
      case 'text': {
        const text = scanner.push(c.text);
        if (text !== '') await sink.text(text);
        if (scanner.matched !== null) stop();
        break;
      }
      case 'tool_call':
        // A call Ponder ran itself is not the client's to run; none run on this surface today.
        if (c.ponder) break;
        await flush();
        await sink.toolCall(c);
        break;
      case 'tool_result':
        break;
      case 'usage':
        usage = c;
        break;
      case 'done': {
        if (scanner.matched !== null)
          return { ok: true, stopReason: 'stop_sequence', stopSequence: scanner.matched, usage };
        await flush();
        const reason = c.finishReason;
        if (reason === 'error')
          return {
            ok: false,
            error: new HttpError(502, 'upstream_error', c.error ?? 'The generation failed.'),
          };
        if (reason === 'cancelled') {
          const message = c.error ?? 'The generation was stopped.';
          return { ok: false, error: new HttpError(OVERLOADED_STATUS, 'overloaded', message) };
        }
        return { ok: true, stopReason: STOP_REASON[reason], stopSequence: null, usage };
      }
      default:
        c satisfies never;
    }
  }
  return { ok: false, error: new HttpError(502, 'upstream_error', 'The model stream ended unexpectedly.') };
}
