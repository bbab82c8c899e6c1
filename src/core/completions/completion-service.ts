/**
 * Stateless completions for the OpenAI-compatible API: admission, the provider stream and the usage
 * ledger, with nothing stored but usage. Unlike conversations, the generation belongs to the caller's
 * connection: its `signal` aborting (a client disconnect) cancels it at once and frees the slot.
 */
import { type ChatChunk, type ChatRequest, effortToBudget, InferenceError } from '../../inference/types.ts';
import type { Store } from '../../store/types.ts';
import type { AdmissionGrant, InferenceGateway } from '../inference-gateway.ts';

export interface CompletionCaller {
  userId: string;
  plan: string;
  /** The API key used, so usage can be attributed to it. */
  apiKeyId: string | null;
}

export interface CompletionServiceOptions {
  gateway: InferenceGateway;
  store: Pick<Store, 'usage'>;
  /** The plan's cap on reasoning tokens, applied to every request of that plan. */
  maxThinkingBudget?: (plan: string) => number | undefined;
}

export class CompletionService {
  readonly #o: CompletionServiceOptions;

  constructor(options: CompletionServiceOptions) {
    this.#o = options;
  }

  /**
   * Streams one completion. Errors known before generation (unknown model, model not ready, admission
   * refused) are thrown from the first `next()`, so the HTTP layer can still answer with a status; while
   * the request waits for admission it yields `queued` chunks.
   */
  async *complete(
    caller: CompletionCaller,
    req: ChatRequest,
    signal: AbortSignal,
  ): AsyncGenerator<ChatChunk> {
    const { gateway, store } = this.#o;
    const { model } = await gateway.resolve(req.model);
    if (req.maxTokens !== undefined && model.contextSize !== undefined && req.maxTokens > model.contextSize) {
      throw new InferenceError(
        'invalid_request',
        `max_tokens ${req.maxTokens} is larger than the model's context of ${model.contextSize} tokens.`,
      );
    }
    const request: ChatRequest = { ...req, model: model.id, thinking: this.#clampThinking(caller, req) };

    const queued: ChatChunk[] = [];
    let wake: (() => void) | undefined;
    const grantPromise = gateway.acquire(
      { userId: caller.userId, plan: caller.plan, reasoning: request.thinking?.enabled !== false },
      {
        signal,
        onQueued: (position, etaMs) => {
          queued.push(
            etaMs === undefined ? { type: 'queued', position } : { type: 'queued', position, etaMs },
          );
          wake?.();
        },
      },
    );
    let grant: AdmissionGrant | undefined;
    void grantPromise.then(
      (g) => {
        grant = g;
        wake?.();
      },
      () => wake?.(),
    );
    // Relay queue positions until admitted; a refusal rejects `grantPromise` and is thrown here.
    while (!grant) {
      const next = queued.shift();
      if (next) {
        yield next;
        continue;
      }
      await Promise.race([grantPromise, new Promise<void>((resolve) => (wake = resolve))]);
      wake = undefined;
    }
    try {
      for await (const chunk of gateway.chat(request, { signal })) {
        if (chunk.type === 'usage' && (chunk.promptTokens > 0 || chunk.completionTokens > 0)) {
          await store.usage.record({
            userId: caller.userId,
            apiKeyId: caller.apiKeyId,
            model: model.id,
            promptTokens: chunk.promptTokens,
            completionTokens: chunk.completionTokens,
            reasoningTokens: chunk.reasoningTokens,
            reasoning: request.thinking?.enabled !== false,
          });
        }
        yield chunk;
      }
    } finally {
      grant.release();
    }
  }

  #clampThinking(caller: CompletionCaller, req: ChatRequest): ChatRequest['thinking'] {
    const thinking = req.thinking ?? { enabled: true };
    const cap = this.#o.maxThinkingBudget?.(caller.plan);
    if (!thinking.enabled || cap === undefined) return thinking;
    // A plan's cap bounds every request of that plan, including ones that asked for no budget at all.
    return { ...thinking, budgetTokens: Math.min(effortToBudget(thinking) ?? cap, cap) };
  }
}
