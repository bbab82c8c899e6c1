/**
 * An optional provider capability: the length of a request's prompt in tokens, as the provider would
 * build it for a chat (the model's template, its tokenizer, the tools and thinking mode), without
 * generating. The embedded engine has it; providers without it are counted another way by `core/`.
 */
import type { ChatRequest, Provider } from './types.ts';

export interface TokenCounter {
  /** Throws `InferenceError` like `chat` would (unknown model, bad request, prompt over the context). */
  countPromptTokens(req: ChatRequest): Promise<number>;
}

export function canCountTokens(provider: Provider): provider is Provider & TokenCounter {
  return typeof (provider as Partial<TokenCounter>).countPromptTokens === 'function';
}
