/**
 * One turn, whatever the surface (web chat, `/v1`, later the Responses and Messages APIs and eval):
 * the model is resolved once, the request is checked against what the model can do, the plan's limits
 * apply (through the plan catalogue), admission relays queue positions, and the turn streams — for
 * Ponder's own tools as a loop: reason → tool calls → results → reason … → answer, bounded in rounds
 * and time. Surfaces only encode what comes out.
 */
import { randomUUID } from 'node:crypto';
import {
  type ChatChunk,
  type ChatMessage,
  type ChatOptions,
  type ChatRequest,
  effortToBudget,
  InferenceError,
  type ModelInfo,
  type Provider,
  type ThinkingOptions,
  type ToolCall,
  type UsageChunk,
  wantsResponseFormat,
  wantsTools,
} from '../../inference/types.ts';
import type { DocumentRetriever } from '../documents/types.ts';
import type { AdmissionGrant, InferenceGateway } from '../inference-gateway.ts';
import type { PlanCatalog } from '../quotas/plans.ts';
import { SEARCH_DOCUMENTS, searchDocumentsTool } from './document-search.ts';
import { documentStep, type TurnDocuments, turnTools } from './document-step.ts';
import { type ToolLimits, toolUseKind } from './tool-limits.ts';
import { type PonderTool, ponderCallChunk, type ToolOutcome, type ToolRegistry } from './tool-registry.ts';

export interface TurnCaller {
  userId: string;
  plan: string;
}

export interface PreparedTurn {
  caller: TurnCaller;
  /** The request as the provider gets it: the resolved model id, the plan's thinking limit applied. */
  request: ChatRequest;
  model: ModelInfo;
  provider: Provider;
  /** Ponder runs the calls itself (its registry's tools); otherwise they go back to the caller. */
  runsTools: boolean;
  /** Search the web before the model answers (the Search toggle, `/v1` `web_search_options`). */
  searchFirst?: { count?: number };
  /** The user's documents this turn searches first (or reads whole), and `search_documents` searches. */
  documents?: TurnDocuments;
}

export interface TurnPipelineOptions {
  gateway: InferenceGateway;
  plans: PlanCatalog;
  tools: ToolRegistry;
  /** Tool rounds in one turn; after the last the model must answer. Default 8. */
  maxToolRounds?: number;
  /** Time all tool runs of one turn may take together, in ms; then the model must answer. Default 120 000. */
  maxToolTimeMs?: number;
  /** The plans' daily allowances of tool calls and web searches. Default: none counted. */
  limits?: ToolLimits;
  /** Hears every tool run (for the audit log): which tool, for whom, how it went — never arguments or output. */
  onToolRun?: (event: { userId: string; tool: string; isError: boolean; ms: number }) => void;
  /** The user's documents (issue 13); without it a turn that names documents is refused. */
  documents?: DocumentRetriever;
}

export interface TurnRunOptions extends ChatOptions {
  /**
   * Asks the user whether a tool that changes things (not read-only) may run; resolves `true` to run it.
   * Without it such a call is not run: the model reads that it needs a confirmation this client cannot give.
   */
  confirmTool?: (call: ToolCall, tool: PonderTool) => Promise<boolean>;
}

export interface PrepareOptions {
  /** Names of Ponder's tools this turn offers (web turns); their calls run here. */
  ponderTools?: readonly string[];
  /** Search the web with the question first, and answer with the results as numbered sources. */
  searchFirst?: { count?: number };
  /**
   * Search these documents with the question first (or read them whole) and offer `search_documents`
   * where the model can call tools.
   */
  documents?: TurnDocuments;
}

/** The tool a search-first turn runs (registered when a search provider is configured). */
const WEB_SEARCH = 'web_search';

export class TurnPipeline {
  readonly #o: TurnPipelineOptions;

  constructor(options: TurnPipelineOptions) {
    this.#o = options;
    // With the user's documents comes the tool the model searches them with mid-reasoning (issue 13).
    if (options.documents && !options.tools.has(SEARCH_DOCUMENTS))
      options.tools.register(searchDocumentsTool(options.documents));
  }

  /** The user's documents, where the server has them (the chat attaches draft uploads through it). */
  get documents(): DocumentRetriever | undefined {
    return this.#o.documents;
  }

  /** Ponder's own tools, for listing. */
  get tools(): ToolRegistry {
    return this.#o.tools;
  }

  /**
   * Resolves the model (once), applies the plan's limits and checks the request against the model.
   * Throws `InferenceError` (unknown model, not ready, a capability it lacks, a token cap above its context).
   */
  async prepare(caller: TurnCaller, req: ChatRequest, options: PrepareOptions = {}): Promise<PreparedTurn> {
    const { provider, model } = await this.#o.gateway.resolve(req.model || undefined);
    const ponderTools = turnTools(options.ponderTools ?? [], options.documents, {
      retriever: this.#o.documents,
      offerTool: model.supportsTools === true && !req.tools?.length && this.#o.tools.has(SEARCH_DOCUMENTS),
    });
    let request: ChatRequest = {
      ...req,
      model: model.id,
      thinking: this.#thinking(caller, req.thinking, model),
    };
    if (ponderTools.length > 0) {
      if (req.tools?.length)
        throw new InferenceError('invalid_request', 'A turn offers either its own tools or Ponder’s.');
      let tools: ChatRequest['tools'];
      try {
        tools = this.#o.tools.definitions(ponderTools);
      } catch (err) {
        throw new InferenceError('invalid_request', (err as Error).message);
      }
      request = { ...request, tools };
    }
    if (wantsTools(request) && !model.supportsTools)
      throw new InferenceError('invalid_request', `Model "${model.id}" does not support tool calling.`);
    if (wantsResponseFormat(request) && !model.supportsResponseFormat)
      throw new InferenceError('invalid_request', `Model "${model.id}" does not support response_format.`);
    if (req.maxTokens !== undefined && model.contextSize !== undefined && req.maxTokens > model.contextSize) {
      throw new InferenceError(
        'invalid_request',
        `max_tokens ${req.maxTokens} is larger than the model's context of ${model.contextSize} tokens.`,
      );
    }
    if (options.searchFirst && !this.#o.tools.has(WEB_SEARCH))
      throw new InferenceError('invalid_request', 'Web search is not configured on this server.');
    return {
      caller,
      request,
      model,
      provider,
      runsTools: ponderTools.length > 0,
      ...(options.searchFirst ? { searchFirst: options.searchFirst } : {}),
      ...(options.documents ? { documents: options.documents } : {}),
    };
  }

  /** Admission for the turn; `onQueued` hears the queue position while it waits. */
  admit(
    turn: PreparedTurn,
    wait: { signal: AbortSignal; onQueued?: (position: number, etaMs?: number) => void },
  ): Promise<AdmissionGrant> {
    return this.#o.gateway.acquire(
      {
        userId: turn.caller.userId,
        plan: turn.caller.plan,
        reasoning: turn.request.thinking?.enabled !== false,
      },
      wait,
    );
  }

  /**
   * Streams the turn (after admission). Calls to Ponder's tools run here: each comes out as one complete
   * `tool_call` chunk, then its `tool_result`, and the model goes on; the turn ends with one `usage`
   * (all rounds together) and one `done`. A caller's own tool calls stream through as the provider sends them.
   */
  async *run(turn: PreparedTurn, opts: TurnRunOptions): AsyncGenerator<ChatChunk> {
    let messages = turn.request.messages;
    if (turn.documents && this.#o.documents) {
      const documents = { ...turn, documents: turn.documents };
      const audit = this.#o.onToolRun;
      const userId = turn.caller.userId;
      messages = yield* documentStep(documents, this.#o.documents, messages, opts.signal, (o) =>
        audit?.({ userId, tool: SEARCH_DOCUMENTS, ...o }),
      );
    }
    if (turn.searchFirst) {
      // The search runs as a call of Ponder's `web_search` with a query the model wrote from the question,
      // so it shows in the timeline, counts against the plan's searches and reaches the model as a tool
      // turn it can cite from.
      const question = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
      const call: ToolCall = {
        id: `call_search_${randomUUID().replaceAll('-', '').slice(0, 16)}`,
        name: WEB_SEARCH,
        arguments: JSON.stringify({
          query: await this.#searchQuery(turn, question, opts.signal),
          ...(turn.searchFirst.count ? { count: turn.searchFirst.count } : {}),
        }),
      };
      const outcome = yield* this.#callAndResult(turn, call, opts);
      messages = [
        ...messages,
        { role: 'assistant', content: '', toolCalls: [call] },
        { role: 'tool', toolCallId: call.id, content: outcome.content },
      ];
    }
    if (!turn.runsTools) {
      yield* turn.provider.chat({ ...turn.request, messages }, opts);
      return;
    }
    const maxRounds = this.#o.maxToolRounds ?? 8;
    const toolTime = { left: this.#o.maxToolTimeMs ?? 120_000 };
    const usage: UsageChunk = {
      type: 'usage',
      promptTokens: 0,
      cachedPromptTokens: 0,
      completionTokens: 0,
      reasoningTokens: 0,
    };
    let sawUsage = false;
    for (let round = 0; ; round++) {
      // Out of rounds or tool time: this round must answer.
      const mustAnswer = round >= maxRounds || toolTime.left <= 0;
      const request: ChatRequest = {
        ...turn.request,
        messages,
        ...(mustAnswer ? { toolChoice: 'none' } : {}),
      };
      const calls: ToolCall[] = [];
      let reasoning = '';
      let text = '';
      let done: Extract<ChatChunk, { type: 'done' }> | undefined;
      for await (const chunk of turn.provider.chat(request, opts)) {
        switch (chunk.type) {
          case 'tool_call': {
            const call = calls[chunk.index] ?? { id: '', name: '', arguments: '' };
            calls[chunk.index] = call;
            if (chunk.id) call.id = chunk.id;
            if (chunk.name) call.name = chunk.name;
            call.arguments += chunk.arguments;
            break;
          }
          case 'usage':
            sawUsage = true;
            usage.promptTokens += chunk.promptTokens;
            usage.cachedPromptTokens += chunk.cachedPromptTokens;
            usage.completionTokens += chunk.completionTokens;
            usage.reasoningTokens += chunk.reasoningTokens;
            break;
          case 'done':
            done = chunk;
            break;
          default:
            if (chunk.type === 'reasoning') reasoning += chunk.text;
            else if (chunk.type === 'text') text += chunk.text;
            yield chunk;
        }
      }
      const called = calls.filter((c) => c.name !== '');
      if (done?.finishReason !== 'tool_calls' || called.length === 0 || opts.signal.aborted) {
        if (sawUsage) yield usage;
        yield done ?? { type: 'done', finishReason: 'error', error: 'the model stream ended unexpectedly' };
        return;
      }
      const results: ChatMessage[] = [];
      for (const call of called) {
        const outcome = yield* this.#callAndResult(turn, call, opts);
        toolTime.left -= outcome.ms;
        results.push({ role: 'tool', toolCallId: call.id, content: outcome.content });
      }
      // The calls and their results go back to the model with this round's reasoning (tool-call turns
      // keep theirs), so an engine slot continues the same turn.
      messages = [
        ...messages,
        { role: 'assistant', content: text, ...(reasoning ? { reasoning } : {}), toolCalls: called },
        ...results,
      ];
    }
  }

  /**
   * The query to search for: written by the model from the question (thinking off, a short JSON answer
   * under a grammar) where the model takes a response format; else, or when that fails, the question.
   */
  async #searchQuery(turn: PreparedTurn, question: string, signal: AbortSignal): Promise<string> {
    const fallback = question.replace(/\s+/g, ' ').trim().slice(0, 400) || 'news';
    if (!turn.model.supportsResponseFormat) return fallback;
    const request: ChatRequest = {
      model: turn.request.model,
      messages: [
        {
          role: 'system',
          content:
            'Write the one web search query that best finds what the user needs, in the language of the question. Answer with JSON only.',
        },
        { role: 'user', content: question.slice(0, 4000) },
      ],
      thinking: { enabled: false },
      maxTokens: 80,
      temperature: 0.2,
      responseFormat: {
        type: 'json_schema',
        name: 'search_query',
        strict: true,
        schema: {
          type: 'object',
          properties: { query: { type: 'string', minLength: 2, maxLength: 120 } },
          required: ['query'],
          additionalProperties: false,
        },
      },
    };
    try {
      let text = '';
      for await (const chunk of turn.provider.chat(request, { signal })) {
        if (chunk.type === 'text') text += chunk.text;
        if (chunk.type === 'done' && chunk.finishReason !== 'stop') return fallback;
      }
      const query = (JSON.parse(text) as { query?: unknown }).query;
      return typeof query === 'string' && query.trim().length >= 2
        ? query.replace(/\s+/g, ' ').trim()
        : fallback;
    } catch {
      return fallback;
    }
  }

  /** One call Ponder runs: the whole call as a chunk, the run, then its result as a chunk. */
  async *#callAndResult(
    turn: PreparedTurn,
    call: ToolCall,
    opts: TurnRunOptions,
  ): AsyncGenerator<ChatChunk, ToolOutcome> {
    yield ponderCallChunk(call);
    const outcome = await this.#runTool(turn, call, opts);
    yield { type: 'tool_result', id: call.id, name: call.name, ...outcome };
    return outcome;
  }

  /** Runs one call of Ponder's tools, after the user's confirmation when the tool changes things. */
  async #runTool(turn: PreparedTurn, call: ToolCall, opts: TurnRunOptions): Promise<ToolOutcome> {
    const outcome = await this.#decideAndRun(turn, call, opts);
    this.#o.onToolRun?.({
      userId: turn.caller.userId,
      tool: call.name,
      isError: outcome.isError,
      ms: outcome.ms,
    });
    return outcome;
  }

  async #decideAndRun(turn: PreparedTurn, call: ToolCall, opts: TurnRunOptions): Promise<ToolOutcome> {
    const refused = (content: string): ToolOutcome => ({ content, isError: true, ms: 0 });
    const tool = this.#o.tools.get(call.name);
    if (tool) {
      const over = await this.#o.limits?.take(turn.caller.userId, turn.caller.plan, toolUseKind(call.name));
      if (over) return refused(over);
    }
    if (tool && !tool.readOnly) {
      if (!opts.confirmTool)
        return refused(
          'error: this tool changes things and needs the user to confirm it, which is not possible here',
        );
      const approved = await opts.confirmTool(call, tool).catch(() => false);
      if (!approved) return refused('error: the user declined to run this tool');
    }
    return this.#o.tools.execute(call, {
      userId: turn.caller.userId,
      signal: opts.signal,
      ...(turn.documents ? { documents: turn.documents.scopes } : {}),
    });
  }

  /**
   * The thinking a request gets: an effort means the model's own budget for it (embedded models are
   * sized for the machine), and the plan's cap bounds every request of the plan, even one that asked
   * for no budget at all.
   */
  #thinking(caller: TurnCaller, asked: ThinkingOptions | undefined, model: ModelInfo): ThinkingOptions {
    const thinking = asked ?? { enabled: true };
    if (!thinking.enabled) return thinking;
    const cap = this.#o.plans.resolve(caller.plan).maxThinkingBudget;
    const budget = effortToBudget(thinking, model.thinkingBudgets);
    return { ...thinking, budgetTokens: Math.min(budget ?? cap, cap) };
  }
}
