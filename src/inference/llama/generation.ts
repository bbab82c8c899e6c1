/**
 * One completion on one slot, once `prepare-request.ts` has validated and priced it: runs node-llama-cpp's
 * `LlamaChat` on the slot's sequence, mapping thought segments to `reasoning` chunks and the rest to
 * `text`, and ends with `usage` + `done`.
 */
import {
  type ChatHistoryItem,
  type ChatModelResponse,
  LlamaChat,
  type LlamaChatResponseChunk,
  type LlamaChatResponseFunctionCallParamsChunk,
  type LlamaModel,
  LlamaText,
  TokenBias,
} from 'node-llama-cpp';
import {
  type ChatChunk,
  type ChatRequest,
  DEFAULT_TEMPERATURE,
  DEFAULT_TOP_P,
  type FinishReason,
} from '../types.ts';
import { R1ChatWrapper } from './chat-wrapper.ts';
import { generationError, isContextFullError, usableContext } from './context-room.ts';
import type { LoadedModel, Slot } from './model-registry.ts';
import type { PreparedRequest } from './prepare-request.ts';
import { commonPrefixLength } from './slot-scheduler.ts';
import { responseFormatSchema, ToolCallStreamer } from './tool-calling.ts';

/** How far below the last cell our own token count may be when the sequence is really full (re-renders). */
const GUARD_SLACK = 64;

export interface GenerationOptions {
  slot: Slot;
  loaded: LoadedModel;
  req: ChatRequest;
  prepared: PreparedRequest;
  signal: AbortSignal;
  /** "Answer now": when aborted, the open reasoning is closed and the answer follows. */
  endThinking?: AbortSignal;
  emit: (chunk: ChatChunk) => void;
  ignoreEos: boolean;
}

/**
 * Streams one completion; always ends with `usage` and `done` (errors become `done: error`).
 *
 * Free answers are one pass. A forced tool call or a `responseFormat` takes two: the first reasons
 * (and may call a tool on its own) and is stopped where the answer would begin; the second continues
 * the same model turn, on the same slot (its KV already holds the prompt and the reasoning), under the
 * constraint: a tool call opened in the prompt, or the format's grammar.
 */
export async function generate(o: GenerationOptions): Promise<void> {
  const { slot, loaded, req, prepared, signal, emit } = o;
  const cachedPromptTokens = Math.min(
    commonPrefixLength(slot.sequence.contextTokens, prepared.promptTokens),
    prepared.promptTokens.length - 1,
  );
  const counts = { completionTokens: 0, reasoningTokens: 0 };
  const thinkingOff = prepared.wrapper.thinking === 'off';
  const constrained = prepared.plan !== 'free';
  // Where the answer must be constrained, the first pass ends at its first answer token (dropped, and
  // written again under the constraint by the second pass).
  const firstPass = new AbortController();
  const stopFirstPass = () => firstPass.abort();
  signal.addEventListener('abort', stopFirstPass, { once: true });
  let reasoning = '';
  let answerReached = false;
  // What node-llama-cpp injects is not in `maxTokens`: stop a pass while the sequence still has room,
  // before node-llama-cpp would shift the context (which fails: the prompt cannot be dropped).
  const lastCell = usableContext(loaded.contextSize) - prepared.callReserve;
  let contextFull = false;
  let pass = firstPass;
  const guardContext = (): boolean => {
    // Until node-llama-cpp has loaded this prompt, the reused sequence may still hold an earlier
    // conversation (the injected `<think>` arrives first): trust its length only once our own count
    // (which misses just the injected tokens) is near the end too.
    const counted = prepared.promptTokens.length + counts.completionTokens;
    if (counted < lastCell - prepared.callReserve - GUARD_SLACK) return false;
    if (slot.sequence.nextTokenIndex < lastCell) return false;
    contextFull = true;
    pass.abort();
    return true;
  };
  const onResponseChunk = (chunk: LlamaChatResponseChunk) => {
    counts.completionTokens += chunk.tokens.length;
    // A chunk without tokens (a segment opening) can come before the prompt is loaded into the sequence.
    if (chunk.tokens.length > 0 && guardContext()) return;
    if (chunk.type === 'segment' && chunk.segmentType === 'thought') {
      counts.reasoningTokens += chunk.tokens.length;
      reasoning += chunk.text;
      // With thinking off the model could still open `<think>` on its own; its reasoning is not shown.
      if (!thinkingOff && chunk.text !== '')
        emit({ type: 'reasoning', text: chunk.text, tokens: chunk.tokens.length });
    } else if (chunk.text !== '') {
      if (constrained) {
        answerReached = true;
        firstPass.abort();
        return;
      }
      emit({ type: 'text', text: chunk.text });
    }
  };
  // node-llama-cpp keeps this object and reads the thought budget before every token, so lowering it
  // to zero closes `</think>` at the next token: that is how "answer now" reaches a running generation.
  const budgets = {
    thoughtTokens: prepared.thoughtBudget ?? Number.POSITIVE_INFINITY,
    includeCurrentResponse: true,
  };
  const endThinking = (): void => {
    budgets.thoughtTokens = 0;
  };
  // Asked before the slot was free: still open the block (one token) so the answer follows a closed one.
  if (o.endThinking?.aborted) budgets.thoughtTokens = Math.min(budgets.thoughtTokens, 1);
  else o.endThinking?.addEventListener('abort', endThinking, { once: true });
  const calls = new ToolCallStreamer(emit);
  const common = {
    signal: firstPass.signal,
    stopOnAbortSignal: true,
    temperature: req.temperature ?? DEFAULT_TEMPERATURE,
    topP: req.topP ?? DEFAULT_TOP_P,
    ...(req.topK === undefined ? {} : { topK: req.topK }),
    seed: req.seed,
    customStopTriggers: req.stop,
    tokenBias: o.ignoreEos ? endOfGenerationBias(loaded.model) : undefined,
  };
  let finishReason: FinishReason = 'stop';
  let error: string | undefined;
  let detail: string | undefined;
  let chat = new LlamaChat({ contextSequence: slot.sequence, chatWrapper: prepared.wrapper });
  loaded.lockstep.join(slot.member);
  try {
    let res = await chat.generateResponse(prepared.history, {
      ...common,
      onResponseChunk,
      maxTokens: prepared.maxTokens,
      budgets,
      ...(prepared.functions
        ? {
            functions: prepared.functions,
            documentFunctionParams: true,
            onFunctionCallParamsChunk: (c: LlamaChatResponseFunctionCallParamsChunk) => {
              calls.push(c);
              guardContext();
            },
          }
        : {}),
    });
    // The second pass re-renders the turn (its reasoning re-tokenized, the call opened): price that prompt
    // again; with no room left the answer ends here, cut by the context.
    const second =
      answerReached && !signal.aborted && constrained ? secondPass(prepared, reasoning) : undefined;
    const secondRoom = second
      ? lastCell -
        second.wrapper.promptTokens(
          second.history,
          loaded.model.tokenizer,
          prepared.plan === 'call' ? prepared.functions : undefined,
        ).length
      : 0;
    if (second && secondRoom < 1) contextFull = true;
    else if (second) {
      chat.dispose({ disposeSequence: false });
      pass = new AbortController();
      const stopSecondPass = () => pass.abort();
      signal.addEventListener('abort', stopSecondPass, { once: true });
      if (signal.aborted) pass.abort();
      chat = new LlamaChat({ contextSequence: slot.sequence, chatWrapper: second.wrapper });
      const grammar =
        prepared.plan === 'format' && req.responseFormat
          ? await loaded.model.llama.createGrammarForJsonSchema(
              // The schema is only known at run time; the generic parameter types a literal schema.
              responseFormatSchema(req.responseFormat) as { type: 'object' },
            )
          : undefined;
      res = await chat
        .generateResponse(second.history, {
          ...common,
          signal: pass.signal,
          onResponseChunk: (chunk) => {
            counts.completionTokens += chunk.tokens.length;
            if (chunk.tokens.length > 0 && guardContext()) return;
            if (chunk.text !== '' && chunk.type !== 'segment') emit({ type: 'text', text: chunk.text });
          },
          maxTokens: Math.max(1, Math.min(prepared.maxTokens - counts.completionTokens, secondRoom)),
          ...(grammar
            ? { grammar }
            : {
                functions: prepared.functions,
                documentFunctionParams: true,
                onFunctionCallParamsChunk: (c: LlamaChatResponseFunctionCallParamsChunk) => {
                  calls.push(c);
                  guardContext();
                },
              }),
        })
        .finally(() => signal.removeEventListener('abort', stopSecondPass));
    }
    for (const [i, call] of (res.functionCalls ?? []).entries()) {
      calls.ensure(i, call.functionName, call.params);
      // Call tokens do not pass through `onResponseChunk`: count them from the call's text.
      counts.completionTokens += LlamaText.fromJSON(call.raw).tokenize(loaded.model.tokenizer).length;
    }
    const reason = res.metadata.stopReason;
    // A call whose arguments were cut off by the context is not a call the client can run.
    const callCut = calls.count > (res.functionCalls?.length ?? 0);
    if (signal.aborted) finishReason = 'cancelled';
    else if (contextFull && (calls.count === 0 || callCut)) finishReason = 'length';
    else if (calls.count > 0) finishReason = 'tool_calls';
    else if (reason === 'abort') finishReason = 'cancelled';
    else if (reason === 'maxTokens' || (answerReached === false && constrained && reason !== 'eogToken'))
      finishReason = 'length';
  } catch (err) {
    if (signal.aborted) finishReason = 'cancelled';
    // Stopped by the guard (node-llama-cpp may throw the abort inside a call), or, should the headroom
    // still fall short, the context ran out: the answer so far stands, cut.
    else if (contextFull || (isContextFullError(err) && counts.completionTokens + calls.count > 0)) {
      finishReason = 'length';
      // The tokens of a call cut short never reached a chunk: what the sequence holds past the prompt.
      counts.completionTokens = Math.max(
        counts.completionTokens,
        slot.sequence.nextTokenIndex + 1 - prepared.promptTokens.length,
      );
    } else {
      finishReason = 'error';
      // node-llama-cpp's own words go to the logs (`detail`), never to the client.
      const typed = generationError(err);
      error = typed.message;
      detail = typed.detail;
    }
  } finally {
    signal.removeEventListener('abort', stopFirstPass);
    o.endThinking?.removeEventListener('abort', endThinking);
    loaded.lockstep.leave(slot.member);
    chat.dispose({ disposeSequence: false });
  }
  emit({
    type: 'usage',
    promptTokens: prepared.promptTokens.length,
    cachedPromptTokens: Math.max(0, cachedPromptTokens),
    completionTokens: counts.completionTokens,
    reasoningTokens: counts.reasoningTokens,
  });
  emit(
    error === undefined
      ? { type: 'done', finishReason }
      : { type: 'done', finishReason, error, ...(detail === undefined ? {} : { detail }) },
  );
}

/**
 * The second pass of a constrained answer: the same model turn, its reasoning now closed, ending where
 * the answer begins (`continue`), or inside an opened tool call (`call`).
 */
function secondPass(
  prepared: PreparedRequest,
  reasoning: string,
): { history: ChatHistoryItem[]; wrapper: R1ChatWrapper } {
  const history = [...prepared.history];
  const last = history.at(-1);
  const earlier: ChatModelResponse['response'] = last?.type === 'model' ? last.response : [];
  const mode = prepared.wrapper.thinking;
  // A turn being continued already holds its closed thought; otherwise close the one just generated (or
  // the empty one thinking-off renders) and start the answer after R1's blank line.
  const opened: ChatModelResponse['response'] =
    mode === 'continue'
      ? []
      : [
          {
            type: 'segment',
            segmentType: 'thought',
            text: mode === 'off' ? '\n\n' : `\n${reasoning}`,
            ended: true,
          },
          '\n\n',
        ];
  history[history.length - 1] = { type: 'model', response: [...earlier, ...opened] };
  return { history, wrapper: new R1ChatWrapper(prepared.plan === 'call' ? 'call' : 'continue') };
}

/** Bans every end-of-generation token so random-weight test models run until `maxTokens`. */
function endOfGenerationBias(model: LlamaModel): TokenBias {
  const bias = new TokenBias(model.tokenizer);
  for (const t of [model.tokens.eos, model.tokens.eot, model.tokens.sep]) if (t != null) bias.set(t, 'never');
  for (const text of ['<｜end▁of▁sentence｜>', '<｜User｜>', '</think>']) {
    const tokens = model.tokenize(text, true);
    if (tokens.length === 1 && tokens[0] !== undefined) bias.set(tokens[0], 'never');
  }
  return bias;
}
