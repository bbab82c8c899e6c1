/**
 * Request/response shapes of the conversation, message, generation and model routes of the web API
 * (docs/web-api.md). Types and zod schemas only: shared by the server and the web app.
 */
import { z } from 'zod';

/** Longest user message accepted, in characters. */
export const MAX_MESSAGE_CHARS = 100_000;
/** Longest conversation title accepted, in characters. */
export const MAX_TITLE_CHARS = 200;

const id = z.string().min(1).max(100);

export const thinkingSchema = z.strictObject({
  enabled: z.boolean(),
  effort: z.enum(['low', 'medium', 'high']).optional(),
  budgetTokens: z.int().min(1).max(1_000_000).optional(),
});

export const createConversationBodySchema = z
  .strictObject({ title: z.string().trim().min(1).max(MAX_TITLE_CHARS).optional() })
  .optional();

export const renameConversationBodySchema = z.strictObject({
  title: z.string().trim().min(1).max(MAX_TITLE_CHARS),
});

export const listConversationsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).max(500).optional(),
});

export const searchQuerySchema = z.object({
  q: z.string().trim().min(1).max(200),
});

export const exportQuerySchema = z.object({
  format: z.enum(['json', 'markdown']).default('json'),
});

/** Names of Ponder's own tools (`GET /api/tools`) the model may call in this turn; none by default. */
const toolNamesSchema = z.array(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/)).max(64);

/**
 * The user's documents a turn uses (issue 13): files attached in the composer (draft uploads join the
 * conversation when the message is sent) and chosen collections; `whole` reads them whole when they fit
 * the model's context (else the most relevant passages, with a notice in the timeline).
 */
export const turnDocumentsSchema = z
  .strictObject({
    fileIds: z.array(id).max(50).optional(),
    collectionIds: z.array(id).max(20).optional(),
    whole: z.boolean().optional(),
  })
  .refine((d) => (d.fileIds?.length ?? 0) + (d.collectionIds?.length ?? 0) > 0, {
    message: 'documents needs fileIds or collectionIds',
  });

export const sendMessageBodySchema = z.strictObject({
  content: z.string().min(1).max(MAX_MESSAGE_CHARS),
  /** The message to answer after; `null` starts a new root (editing a first message). Default: the latest message. */
  parentId: id.nullable().optional(),
  model: z.string().min(1).max(200).optional(),
  thinking: thinkingSchema.optional(),
  tools: toolNamesSchema.optional(),
  /** Search the web with the message first and answer with the results as numbered sources (the Search toggle). */
  search: z.boolean().optional(),
  documents: turnDocumentsSchema.optional(),
});

export const regenerateBodySchema = z
  .strictObject({
    model: z.string().min(1).max(200).optional(),
    thinking: thinkingSchema.optional(),
    tools: toolNamesSchema.optional(),
    search: z.boolean().optional(),
    documents: turnDocumentsSchema.optional(),
  })
  .optional();

/** `POST …/messages/:messageId/continue`: the thinking settings for the rest of the answer. */
/** `POST /api/generations/:id/tools/:callId/confirm`: run the tool, or not. */
export const confirmToolBodySchema = z.strictObject({ approve: z.boolean() });

export const continueBodySchema = z
  .strictObject({ thinking: thinkingSchema.optional(), tools: toolNamesSchema.optional() })
  .optional();

export type ThinkingBody = z.infer<typeof thinkingSchema>;
export type TurnDocumentsBody = z.infer<typeof turnDocumentsSchema>;
export type ContinueBody = z.infer<typeof continueBodySchema>;
export type SendMessageBody = z.infer<typeof sendMessageBodySchema>;
export type RegenerateBody = z.infer<typeof regenerateBodySchema>;

export interface ConversationSummary {
  id: string;
  title: string;
  createdAt: string;
  updatedAt: string;
}

export interface ConversationList {
  conversations: ConversationSummary[];
  nextCursor: string | null;
}

export type MessageRole = 'user' | 'assistant' | 'system';
export type MessageStatus = 'complete' | 'streaming' | 'interrupted' | 'cancelled' | 'error';

export interface MessageUsage {
  promptTokens: number;
  cachedPromptTokens: number;
  completionTokens: number;
  reasoningTokens: number;
}

/**
 * One tool call of an answer and its result: the timeline of a turn is its reasoning split at each
 * call's `reasoningOffset`, with the calls in between.
 */
export interface ToolStep {
  /** The call's id (`call_…`). */
  id: string;
  name: string;
  /** JSON text, as the model wrote it. */
  arguments: string;
  /** Length of the answer's reasoning when the call was made: where the call sits in the timeline. */
  reasoningOffset: number;
  /** Milliseconds from the generation's start to the call. */
  at: number;
  /** Absent while the tool runs (or when the answer was cut before it ended). */
  result?: ToolStepResult;
}

export interface ToolStepResult {
  /** What the tool returned (the model saw the same), capped in size. */
  content: string;
  /** The tool failed, timed out or refused its arguments; `content` says why. */
  isError: boolean;
  /** How long the tool ran. */
  ms: number;
}

/** A tool the web app can offer (`GET /api/tools`). */
export interface ToolInfo {
  name: string;
  /** A human label. */
  title: string;
  description: string;
  /** It only reads; tools that change things ask the user first (issue 12). */
  readOnly: boolean;
}

export interface ToolsResponse {
  tools: ToolInfo[];
}

export interface Message {
  id: string;
  parentId: string | null;
  role: MessageRole;
  content: string;
  reasoning: string;
  /** The tool calls made while answering, in order (assistant messages; absent when none). */
  toolSteps?: ToolStep[];
  status: MessageStatus;
  model: string | null;
  createdAt: string;
  generationId?: string;
  reasoningMs?: number;
  error?: string;
  usage?: MessageUsage;
  /** Why the model stopped; `length`: cut off by the token or context limit (it can be continued). */
  finishReason?: FinishReasonBody;
}

export interface ConversationDetail extends ConversationSummary {
  messages: Message[];
  activeGenerationId?: string;
}

export interface SearchResult {
  conversationId: string;
  title: string;
  snippet: string;
  messageId?: string;
}

export interface SearchResponse {
  results: SearchResult[];
}

/** The JSON written by `GET /api/conversations/:id/export?format=json` (one) and `GET /api/export` (all). */
export interface ConversationExport {
  format: 'ponder.conversation';
  version: 1;
  exportedAt: string;
  conversation: ConversationDetail;
}

export interface AllConversationsExport {
  format: 'ponder.export';
  version: 1;
  exportedAt: string;
  conversations: ConversationDetail[];
}

// ---- generation events (SSE) ----

export interface MetaEventData {
  generationId: string;
  conversationId: string;
  userMessageId: string;
  assistantMessageId: string;
  model: string;
  /** The conversation's title, when this turn gave it one (its first message): lists can show it at once. */
  title?: string;
  /** Reasoning tokens this answer may use (its effort's or explicit budget), when there is one. */
  thinkingBudget?: number;
  /** `POST /api/generations/:id/answer-now` works for this generation's model. */
  canEndThinking?: boolean;
  /** This generation continues `assistantMessageId`: its text and reasoning append to what it held. */
  continues?: boolean;
}

export type FinishReasonBody = 'stop' | 'length' | 'cancelled' | 'error';

/** What each SSE `event:` type carries in `data:`. */
export interface GenerationEventDataMap {
  meta: MetaEventData;
  queued: { position: number; etaMs?: number };
  /** `tokens`: reasoning tokens of this answer so far, where the model server reports them. */
  reasoning: { text: string; tokens?: number };
  text: { text: string };
  /** A tool call the model made (complete: name and arguments), about to run. */
  tool_call: Omit<ToolStep, 'result'>;
  /**
   * The call `id` is to a tool that changes things: it waits for the user (`POST /api/generations/:id/
   * tools/:callId/confirm`); its `tool_result` follows the decision (a refusal or timeout is an error result).
   */
  tool_confirm: { id: string; name: string; title: string; arguments: string; timeoutMs: number };
  /** The result of the call `id`. */
  tool_result: ToolStepResult & { id: string };
  usage: MessageUsage;
  done: { finishReason: FinishReasonBody; error?: string };
}

export type GenerationEventType = keyof GenerationEventDataMap;

/** One event of a generation stream, as sent in `id:` / `event:` / `data:`. */
export type GenerationEvent = {
  [K in GenerationEventType]: { id: number; type: K; data: GenerationEventDataMap[K] };
}[GenerationEventType];

/** A generation event before the log gave it an id. */
export type GenerationEventInput = {
  [K in GenerationEventType]: { type: K; data: GenerationEventDataMap[K] };
}[GenerationEventType];

export interface StopGenerationResponse {
  stopped: true;
}

// ---- models ----

export interface ModelListEntry {
  id: string;
  provider: string;
  state: 'ready' | 'loading' | 'downloading' | 'unavailable';
  downloadProgress?: number;
  detail?: string;
  /** The model can call tools (the composer's Tools menu applies to it). */
  supportsTools?: boolean;
}

export interface ModelsResponse {
  models: ModelListEntry[];
  defaultModel: string | null;
}
