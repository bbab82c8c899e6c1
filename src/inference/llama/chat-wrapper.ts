/**
 * The DeepSeek-R1 chat template as node-llama-cpp should render it. The stock `DeepSeekChatWrapper` ends
 * the prompt at `<｜Assistant｜>`, but the model's own template appends `<think>\n`, which is what makes R1
 * distills think. This subclass injects it (as special tokens) and opens the thought segment, so
 * `budgets.thoughtTokens` can close it; with thinking off it injects an already closed, empty
 * `<think>\n\n</think>\n\n` so the model answers directly. In `continue` mode the history ends with a
 * prefilled assistant turn (`continuationTurn`) and nothing is injected: the prompt stops inside that turn,
 * so the model goes on with the same answer instead of starting a new one.
 */
import {
  type ChatHistoryItem,
  type ChatModelFunctionCall,
  type ChatModelFunctions,
  type ChatModelResponse,
  type ChatWrapperGenerateContextStateOptions,
  type ChatWrapperGeneratedContextState,
  DeepSeekChatWrapper,
  LlamaText,
  SpecialTokensText,
  type Tokenizer,
} from 'node-llama-cpp';
import { stripHistoricalReasoning } from '../history.ts';
import type { ChatMessage } from '../types.ts';

/**
 * `call`: like `continue`, and the prompt then opens a tool call (the wrapper's call prefix) with function
 * calling engaged, so the model must write a tool's name and arguments: how `required` and named tool
 * choices are forced.
 */
export type ThinkingMode = 'on' | 'off' | 'continue' | 'call';

export class R1ChatWrapper extends DeepSeekChatWrapper {
  override readonly wrapperName = 'PonderR1';

  /**
   * @param thoughtSoFar With `on`: reasoning of an answer cut off while thinking, injected after `<think>\n`
   * so the model goes on with it. Injected rather than prefilled because node-llama-cpp never closes a
   * prefilled segment, and the budget and "answer now" must still close this one.
   */
  constructor(
    readonly thinking: ThinkingMode,
    private readonly thoughtSoFar = '',
  ) {
    super({ keepOnlyLastThought: true });
  }

  /** Tokens injected after `<｜Assistant｜>`; counted as prompt tokens. */
  get assistantPrefix(): LlamaText {
    if (this.thinking === 'continue') return LlamaText([]);
    if (this.thinking === 'call') return LlamaText(this.settings.functions.call.prefix);
    if (this.thinking === 'off') return LlamaText(new SpecialTokensText('<think>\n\n</think>\n\n'));
    return LlamaText(new SpecialTokensText('<think>\n'), neutraliseControlTokens(this.thoughtSoFar));
  }

  override generateContextState(
    options: ChatWrapperGenerateContextStateOptions,
  ): ChatWrapperGeneratedContextState {
    // DeepSeek's state is only `contextText` + stop triggers; rebuilt so the prefix-trigger variant type-checks.
    const { contextText, stopGenerationTriggers } = super.generateContextState(options);
    const inject = this.assistantPrefix;
    // The prefilled turn already holds (or is inside) its `<think>` block; node-llama-cpp reopens an
    // unfinished thought segment from it, so the budget still applies.
    if (this.thinking === 'continue') return { contextText, stopGenerationTriggers };
    if (this.thinking === 'call') {
      return {
        contextText: LlamaText([contextText, inject]),
        stopGenerationTriggers,
        functionCall: { initiallyEngaged: true, disengageInitiallyEngaged: [] },
      };
    }
    return {
      contextText,
      stopGenerationTriggers,
      noPrefixTrigger:
        this.thinking === 'on'
          ? { type: 'segment', segmentType: 'thought', inject }
          : { type: 'response', inject },
    };
  }

  /** The exact prompt tokens a generation over `history` evaluates, the injected assistant prefix included. */
  promptTokens(history: ChatHistoryItem[], tokenizer: Tokenizer, functions?: ChatModelFunctions): number[] {
    const { contextText } = super.generateContextState({
      chatHistory: withOpenModelTurn(history),
      ...(functions ? { availableFunctions: functions, documentFunctionParams: true } : {}),
    });
    return [...contextText.tokenize(tokenizer), ...this.assistantPrefix.tokenize(tokenizer)];
  }
}

/** node-llama-cpp completes the last `model` item; add an empty one unless the caller prefilled one. */
export function withOpenModelTurn(history: ChatHistoryItem[]): ChatHistoryItem[] {
  const last = history.at(-1);
  return last?.type === 'model' ? history : [...history, { type: 'model', response: [] }];
}

/**
 * A trailing assistant message whose answer had begun, as the model turn to go on with: its closed
 * `<think>` block (empty when the reasoning is unknown, as thinking-off renders it), then the answer.
 * (Cut off while still thinking, it is continued through `R1ChatWrapper`'s `thoughtSoFar` instead.)
 */
export function continuationTurn(m: ChatMessage): ChatHistoryItem {
  const reasoning = neutraliseControlTokens(m.reasoning ?? '');
  const text = neutraliseControlTokens(m.content);
  return {
    type: 'model',
    response: [
      {
        type: 'segment',
        segmentType: 'thought',
        text: reasoning === '' ? '\n\n' : `\n${reasoning}`,
        ended: true,
      },
      // R1 writes a blank line after `</think>`; a stored answer may have lost it to trimming.
      /^\s/.test(text) ? text : `\n\n${text}`,
    ],
  };
}

/**
 * Converts messages to node-llama-cpp history after the shared history policy (`../history.ts`) removed
 * earlier turns' reasoning, as the R1 template does. An assistant turn's tool calls become function-call
 * items of its model response, each with the result of the `tool` message that answers it (a turn whose
 * results are still missing ends the history open, as the prefix to go on with).
 */
export function toChatHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  const kept = stripHistoricalReasoning(messages);
  const results = new Map<string, string>();
  for (const m of kept)
    if (m.role === 'tool' && m.toolCallId !== undefined) results.set(m.toolCallId, m.content);
  const history: ChatHistoryItem[] = [];
  for (const m of kept) {
    const text = neutraliseControlTokens(m.content);
    switch (m.role) {
      case 'system':
        history.push({ type: 'system', text });
        break;
      case 'user':
        history.push({ type: 'user', text });
        break;
      case 'assistant':
        history.push({ type: 'model', response: modelResponse(m, text, results) });
        break;
      case 'tool':
        // Its content went into the function call it answers.
        break;
      default:
        return m.role satisfies never;
    }
  }
  return history;
}

function modelResponse(
  m: ChatMessage,
  text: string,
  results: Map<string, string>,
): ChatModelResponse['response'] {
  const calls = m.toolCalls ?? [];
  if (calls.length === 0) return [text];
  const response: ChatModelResponse['response'] = [];
  // The turn's closed thought, as it was generated: its reasoning, or the empty block of thinking off.
  response.push({
    type: 'segment',
    segmentType: 'thought',
    text: m.reasoning ? `\n${neutraliseControlTokens(m.reasoning)}` : '\n\n',
    ended: true,
  });
  // R1 writes a blank line after `</think>`, as the forced-call pass renders it (generation.ts).
  response.push(text === '' ? '\n\n' : /^\s/.test(text) ? text : `\n\n${text}`);
  const syntax = callSyntax();
  for (const call of calls) {
    const item: ChatModelFunctionCall = {
      type: 'functionCall',
      name: call.name,
      params: parseJsonOr(call.arguments, call.arguments),
      result: neutraliseJson(parseJsonOr(results.get(call.id) ?? '', results.get(call.id) ?? '')),
      // The call exactly as the model wrote it (its arguments' own spacing), not re-serialised: the
      // prompt then matches the slot's KV token for token and only the result is evaluated again.
      rawCall: LlamaText([
        syntax.prefix,
        neutraliseControlTokens(call.name),
        syntax.paramsPrefix,
        neutraliseControlTokens(call.arguments),
        syntax.suffix,
      ]).toJSON(),
    };
    response.push(item);
  }
  return response;
}

let syntaxCache: R1ChatWrapper['settings']['functions']['call'] | undefined;
/** The R1 wrapper's tool-call syntax (the same for every mode). */
function callSyntax(): R1ChatWrapper['settings']['functions']['call'] {
  syntaxCache ??= new R1ChatWrapper('on').settings.functions.call;
  return syntaxCache;
}

/** A tool result or arguments as JSON when they are JSON (rendered as such), else the text itself. */
function parseJsonOr(text: string, fallback: unknown): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return fallback;
  }
}

/** Tool output is untrusted text: its strings must not forge turn markers either. */
function neutraliseJson(value: unknown): unknown {
  if (typeof value === 'string') return neutraliseControlTokens(value);
  if (Array.isArray(value)) return value.map(neutraliseJson);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, neutraliseJson(v)]));
  return value;
}

/**
 * R1's turn markers (`<｜User｜>`, `<｜Assistant｜>`, `<|EOT|>`…) are user-defined tokens, which llama.cpp
 * matches even in plain text: a message containing them would forge turns. A zero-width space after the
 * `<` keeps the text readable and makes it tokenize as ordinary characters.
 */
export function neutraliseControlTokens(text: string): string {
  return text.replace(/<(?=[｜|])/g, '<\u200B');
}
