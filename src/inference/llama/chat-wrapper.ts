/**
 * The DeepSeek-R1 chat template as node-llama-cpp should render it. The stock `DeepSeekChatWrapper` ends
 * the prompt at `<｜Assistant｜>`, but the model's own template appends `<think>\n`, which is what makes R1
 * distills think. This subclass injects it (as special tokens) and opens the thought segment, so
 * `budgets.thoughtTokens` can close it; with thinking off it injects an already closed, empty
 * `<think>\n\n</think>\n\n` so the model answers directly.
 */
import {
  type ChatHistoryItem,
  type ChatWrapperGenerateContextStateOptions,
  type ChatWrapperGeneratedContextState,
  DeepSeekChatWrapper,
  LlamaText,
  SpecialTokensText,
  type Tokenizer,
} from 'node-llama-cpp';
import { stripHistoricalReasoning } from '../history.ts';
import type { ChatMessage } from '../types.ts';

export type ThinkingMode = 'on' | 'off';

export class R1ChatWrapper extends DeepSeekChatWrapper {
  override readonly wrapperName = 'PonderR1';

  constructor(readonly thinking: ThinkingMode) {
    super({ keepOnlyLastThought: true });
  }

  /** Tokens injected after `<｜Assistant｜>`; counted as prompt tokens. */
  get assistantPrefix(): LlamaText {
    return LlamaText(new SpecialTokensText(this.thinking === 'on' ? '<think>\n' : '<think>\n\n</think>\n\n'));
  }

  override generateContextState(
    options: ChatWrapperGenerateContextStateOptions,
  ): ChatWrapperGeneratedContextState {
    // DeepSeek's state is only `contextText` + stop triggers; rebuilt so the prefix-trigger variant type-checks.
    const { contextText, stopGenerationTriggers } = super.generateContextState(options);
    const inject = this.assistantPrefix;
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
  promptTokens(history: ChatHistoryItem[], tokenizer: Tokenizer): number[] {
    const { contextText } = super.generateContextState({ chatHistory: withOpenModelTurn(history) });
    return [...contextText.tokenize(tokenizer), ...this.assistantPrefix.tokenize(tokenizer)];
  }
}

/** node-llama-cpp completes the last `model` item; add an empty one unless the caller prefilled one. */
export function withOpenModelTurn(history: ChatHistoryItem[]): ChatHistoryItem[] {
  const last = history.at(-1);
  return last?.type === 'model' ? history : [...history, { type: 'model', response: [] }];
}

/**
 * Converts messages to node-llama-cpp history after the shared history policy (`../history.ts`) removed
 * earlier turns' reasoning, as the R1 template does.
 */
export function toChatHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  return stripHistoricalReasoning(messages).map((m): ChatHistoryItem => {
    const text = neutraliseControlTokens(m.content);
    switch (m.role) {
      case 'system':
        return { type: 'system', text };
      case 'user':
        return { type: 'user', text };
      case 'assistant':
        return { type: 'model', response: [text] };
      default:
        return m.role satisfies never;
    }
  });
}

/**
 * R1's turn markers (`<｜User｜>`, `<｜Assistant｜>`, `<|EOT|>`…) are user-defined tokens, which llama.cpp
 * matches even in plain text: a message containing them would forge turns. A zero-width space after the
 * `<` keeps the text readable and makes it tokenize as ordinary characters.
 */
export function neutraliseControlTokens(text: string): string {
  return text.replace(/<(?=[｜|])/g, '<\u200B');
}
