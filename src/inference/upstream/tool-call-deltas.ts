/**
 * Maps the `tool_calls` of OpenAI-style stream deltas (or of a whole `message`) onto `tool_call`
 * ChatChunks. Servers differ in the details, all handled here:
 * - vLLM and SGLang: the first delta of a call has `index`, `id`, `type` and `function.name` (no
 *   arguments), later ones `index` and `function.arguments` fragments;
 * - the DeepSeek API and llama-server: the same, with `arguments: ""` on the first delta;
 * - Ollama: one delta holds a whole call (`id`, `name`, all the arguments), several calls in one array;
 *   older versions omit `index`, and its native API gives `arguments` as an object.
 * Calls are renumbered from 0 in the order they appear; the first chunk of a call always carries its id
 * and name (an id is made up when the server sent none), so arguments seen before the name are held.
 */
import { randomBytes } from 'node:crypto';
import type { ChatChunk } from '../types.ts';

type ToolCallChunk = Extract<ChatChunk, { type: 'tool_call' }>;

interface CallState {
  index: number;
  id?: string;
  name?: string;
  announced: boolean;
  held: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export class ToolCallDeltas {
  readonly #calls = new Map<number, CallState>();
  #last: CallState | undefined;

  /** How many calls have been announced. */
  get count(): number {
    let n = 0;
    for (const c of this.#calls.values()) if (c.announced) n++;
    return n;
  }

  /** The chunks for one delta's `tool_calls` (anything that is not an array gives none). */
  push(raw: unknown): ToolCallChunk[] {
    if (!Array.isArray(raw)) return [];
    const out: ToolCallChunk[] = [];
    for (const item of raw) {
      if (typeof item !== 'object' || item === null) continue;
      const call = item as { index?: unknown; id?: unknown; function?: unknown };
      const fn = (typeof call.function === 'object' && call.function !== null ? call.function : {}) as {
        name?: unknown;
        arguments?: unknown;
      };
      const id = str(call.id);
      const name = str(fn.name);
      const args =
        typeof fn.arguments === 'string'
          ? fn.arguments
          : fn.arguments !== undefined && fn.arguments !== null
            ? JSON.stringify(fn.arguments)
            : '';
      const state = this.#stateFor(call.index, id !== undefined || name !== undefined);
      state.id ??= id;
      state.name ??= name;
      if (!state.announced) {
        state.held += args;
        if (state.name === undefined) continue;
        state.announced = true;
        state.id ??= `call_${randomBytes(12).toString('base64url')}`;
        out.push({
          type: 'tool_call',
          index: state.index,
          id: state.id,
          name: state.name,
          arguments: state.held,
        });
        state.held = '';
      } else if (args !== '') {
        out.push({ type: 'tool_call', index: state.index, arguments: args });
      }
    }
    return out;
  }

  #stateFor(rawIndex: unknown, startsCall: boolean): CallState {
    const key = typeof rawIndex === 'number' && Number.isInteger(rawIndex) ? rawIndex : undefined;
    // Without an index, an id or name starts a new call and anything else continues the last one.
    if (key === undefined && !startsCall && this.#last) return this.#last;
    const mapKey = key ?? -1 - this.#calls.size;
    let state = this.#calls.get(mapKey);
    if (!state) {
      state = { index: this.#calls.size, announced: false, held: '' };
      this.#calls.set(mapKey, state);
    }
    this.#last = state;
    return state;
  }
}
