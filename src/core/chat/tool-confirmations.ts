/**
 * Tool calls of one generation that wait for the user's yes or no (tools that change things, see
 * `TurnRunOptions.confirmTool`): the stream announces each (`tool_confirm`), and `decide` answers it.
 * A stop (the generation's signal) or the time limit answers no.
 */
import type { ToolCall } from '../../inference/types.ts';
import type { PonderTool } from '../turns/tool-registry.ts';
import type { GenerationEventLog } from './event-log.ts';

export class ToolConfirmations {
  readonly #waiting = new Map<string, (approve: boolean) => void>();

  constructor(
    private readonly generationId: string,
    private readonly log: GenerationEventLog,
    private readonly signal: AbortSignal,
    private readonly timeoutMs: number,
  ) {}

  /** Announces the call on the stream and resolves with the user's answer (false on stop or timeout). */
  async ask(call: ToolCall, tool: PonderTool): Promise<boolean> {
    let resolve!: (approve: boolean) => void;
    const answer = new Promise<boolean>((r) => {
      resolve = r;
    });
    this.#waiting.set(call.id, resolve);
    const onAbort = () => resolve(false);
    this.signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => resolve(false), this.timeoutMs);
    try {
      await this.log.append(this.generationId, {
        type: 'tool_confirm',
        data: {
          id: call.id,
          name: call.name,
          title: tool.title,
          arguments: call.arguments,
          timeoutMs: this.timeoutMs,
        },
      });
      return await answer;
    } finally {
      clearTimeout(timer);
      this.signal.removeEventListener('abort', onAbort);
      this.#waiting.delete(call.id);
    }
  }

  /** The user's answer for `callId`; false when no such call waits. */
  decide(callId: string, approve: boolean): boolean {
    const resolve = this.#waiting.get(callId);
    if (!resolve) return false;
    resolve(approve);
    return true;
  }
}
