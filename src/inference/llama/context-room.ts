/**
 * How much of a slot's context a generation may fill, and what node-llama-cpp's failures mean to a client.
 *
 * node-llama-cpp's `maxTokens` counts only the tokens it samples. It also writes tokens of its own into the
 * sequence: the function-call syntax around a call (its prefix, the arguments' opening, the closing
 * suffix) is injected, not sampled, and a re-render (a closed thought, the second pass of a forced call)
 * re-tokenizes the text generated so far, which need not give back as few tokens. When the sequence
 * reaches the end of the context it "shifts" it by compressing the history, which cannot drop the system
 * prompt (where the tools are documented) nor the turn being written, so it throws. These helpers keep
 * that headroom and turn what still slips through into a clean end or a typed error.
 */
import { type ChatModelFunctions, LlamaText, type Tokenizer } from 'node-llama-cpp';
import { InferenceError } from '../types.ts';
import type { R1ChatWrapper } from './chat-wrapper.ts';

/** Room kept free for tokens node-llama-cpp injects itself (closing `</think>` when a budget runs out). */
export const INJECT_RESERVE = 8;

/** The most prompt + answer tokens one request may hold: node-llama-cpp keeps one cell of a sequence free. */
export function usableContext(contextSize: number): number {
  return contextSize - 1 - INJECT_RESERVE;
}

/**
 * Tokens node-llama-cpp may inject around one tool call without counting them against `maxTokens`: the
 * wrapper's call syntax and the section around parallel calls. Zero without tools.
 */
export function callSyntaxReserve(
  wrapper: R1ChatWrapper,
  tokenizer: Tokenizer,
  functions: ChatModelFunctions | undefined,
): number {
  if (!functions) return 0;
  const { call, parallelism } = wrapper.settings.functions;
  const parts = [
    call.prefix,
    call.paramsPrefix,
    call.suffix,
    parallelism?.call.sectionPrefix,
    parallelism?.call.betweenCalls,
    parallelism?.call.sectionSuffix,
  ];
  let total = 0;
  for (const part of parts) if (part !== undefined) total += LlamaText(part).tokenize(tokenizer).length;
  return total;
}

/** node-llama-cpp's own words when the sequence ran into the end of the context. */
const CONTEXT_FULL = /context shift strategy|context size is too small|fits? the context/i;

export function isContextFullError(err: unknown): boolean {
  return err instanceof Error && CONTEXT_FULL.test(err.message);
}

/**
 * A failure of node-llama-cpp during generation as the typed error a client may see: a clear message,
 * the library's own words kept in `detail` for the logs.
 */
export function generationError(err: unknown): InferenceError {
  const raw = err instanceof Error ? err.message : String(err);
  if (isContextFullError(err))
    return new InferenceError(
      'context_overflow',
      'The answer ran out of context: the conversation and the answer no longer fit the model context; shorten the conversation',
      { cause: err, detail: raw },
    );
  if (/grammar/i.test(raw))
    return new InferenceError(
      'invalid_request',
      'The embedded engine could not build a grammar from the tool or response schema; simplify the schema (very large minLength, minItems or maxItems are not supported)',
      { cause: err, detail: raw },
    );
  return new InferenceError('engine_error', 'The embedded engine failed while generating the answer', {
    cause: err,
    detail: raw,
  });
}
