/**
 * Conversations' part of the store contract: conversations, their message trees (with tool steps),
 * the generations that fill assistant messages, and search over them. Types only; conventions in types.ts.
 */

// ---------------------------------------------------------------- records

export interface ConversationRecord {
  id: string;
  userId: string;
  /** Decrypted title ('' when none was set). */
  title: string;
  createdAt: Date;
  updatedAt: Date;
}

export type MessageRole = 'user' | 'assistant' | 'system';
export type MessageStatus = 'complete' | 'streaming' | 'interrupted' | 'cancelled' | 'error';
/** Why the model stopped: `length` marks an answer cut off by the token or context limit. */
export type MessageFinishReason = 'stop' | 'length' | 'cancelled' | 'error';

export interface MessageUsage {
  promptTokens: number;
  cachedPromptTokens: number;
  completionTokens: number;
  reasoningTokens: number;
}

/**
 * One tool call of an answer and its result. The same shape as the web API's `ToolStep`
 * (src/api/conversations.ts; the store imports nothing but config, so it keeps its own copy).
 */
export interface ToolStep {
  /** The call's id (`call_…`). */
  id: string;
  name: string;
  /** JSON text, as the model wrote it. */
  arguments: string;
  /** Length of the answer's reasoning when the call was made. */
  reasoningOffset: number;
  /** Milliseconds from the generation's start to the call. */
  at: number;
  /** Absent while the tool runs (or when the answer was cut before it ended). */
  result?: ToolStepResult;
}

export interface ToolStepResult {
  content: string;
  isError: boolean;
  /** How long the tool ran. */
  ms: number;
}

export interface MessageRecord {
  id: string;
  conversationId: string;
  userId: string;
  /** The message this one answers or follows; `null` for a root. Siblings are branches. */
  parentId: string | null;
  role: MessageRole;
  /** Decrypted. */
  content: string;
  /** Decrypted reasoning ('' when none). */
  reasoning: string;
  /** Decrypted tool calls and their results, in call order (`[]` when none). */
  toolSteps: ToolStep[];
  status: MessageStatus;
  model: string | null;
  error: string | null;
  reasoningMs: number | null;
  /** `null` until a usage report arrived. */
  usage: MessageUsage | null;
  /** `null` while streaming, and for messages written before it was recorded. */
  finishReason: MessageFinishReason | null;
  generationId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type GenerationStatus = 'running' | 'done' | 'cancelled' | 'error' | 'interrupted';

export interface GenerationRecord {
  id: string;
  userId: string;
  conversationId: string;
  assistantMessageId: string;
  status: GenerationStatus;
  model: string;
  error: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

export interface SearchResult {
  conversationId: string;
  /** Decrypted conversation title. */
  title: string;
  /** Decrypted excerpt (≤ ~160 chars) around the first hit: from the message, or the title. */
  snippet: string;
  /** The matching message; absent when only the title matched. */
  messageId?: string;
}

// ---------------------------------------------------------------- inputs

export interface CreateMessageInput {
  /** Pre-chosen id (from `newId()`); default: a fresh one. */
  id?: string;
  conversationId: string;
  userId: string;
  /** Must be a message of the same conversation (else `not_found`); `null`/absent: a root. */
  parentId?: string | null;
  role: MessageRole;
  content: string;
  reasoning?: string;
  /** Default `[]`. */
  toolSteps?: ToolStep[];
  /** Default `complete`. */
  status?: MessageStatus;
  model?: string | null;
  generationId?: string | null;
}

/** Fields replaced by `messages.update`; absent fields are left alone. */
export interface UpdateMessageInput {
  content?: string;
  reasoning?: string;
  /** Replaces the whole list (`[]` clears it). */
  toolSteps?: ToolStep[];
  status?: MessageStatus;
  /** Stored as given; NUL bytes are replaced (diagnostic text from upstreams). */
  error?: string | null;
  reasoningMs?: number | null;
  usage?: MessageUsage | null;
  model?: string | null;
  finishReason?: MessageFinishReason | null;
}

export interface StartGenerationInput {
  /** Pre-chosen generation id; default: a fresh one. */
  id?: string;
  userId: string;
  conversationId: string;
  /** The message the assistant answers (usually the user message); must be in the conversation. */
  parentId: string | null;
  model: string;
  /**
   * Continue this assistant message (a child of `parentId`) instead of creating one: it becomes
   * `streaming` again under the new generation. `not_found` unless it is such a message, not streaming.
   */
  continueMessageId?: string;
}

export interface ListPage {
  /** Default 50, at most 200. */
  limit?: number;
  /** Opaque cursor from a previous page's `nextCursor`. An invalid cursor is a `StoreValidationError`. */
  cursor?: string | null;
}

// ---------------------------------------------------------------- repositories

export interface ConversationStore {
  create(input: { userId: string; title?: string }): Promise<ConversationRecord>;
  /** Newest `updatedAt` first; `nextCursor` is `null` on the last page. */
  list(
    userId: string,
    page?: ListPage,
  ): Promise<{ conversations: ConversationRecord[]; nextCursor: string | null }>;
  get(id: string, userId: string): Promise<ConversationRecord | null>;
  rename(id: string, userId: string, title: string): Promise<ConversationRecord | null>;
  delete(id: string, userId: string): Promise<boolean>;
  /** Sets `updatedAt` (default now) so the conversation moves to the top of the list. */
  touch(id: string, userId: string, at?: Date): Promise<void>;
}

export interface MessageStore {
  /** Conversation not the user's, or parent not in it → `StoreError('not_found')`. Also touches the conversation. */
  create(input: CreateMessageInput): Promise<MessageRecord>;
  get(id: string, userId: string): Promise<MessageRecord | null>;
  /** Every message of the conversation (the whole tree), oldest first; `null` if not the user's. */
  tree(conversationId: string, userId: string): Promise<MessageRecord[] | null>;
  /**
   * Replaces the given fields. Cheap enough to call every second while streaming (one UPDATE, cached
   * data key). The message is (re)indexed for search when its status leaves `streaming`.
   */
  update(id: string, userId: string, patch: UpdateMessageInput): Promise<boolean>;
}

export interface GenerationStore {
  /**
   * In one transaction: creates the assistant message (status `streaming`, empty content, child of
   * `parentId`) and the `running` generation that fills it.
   */
  start(input: StartGenerationInput): Promise<{ generation: GenerationRecord; message: MessageRecord }>;
  get(id: string, userId: string): Promise<GenerationRecord | null>;
  /** Sets status and `finishedAt`; only a `running` generation changes (returns false otherwise). */
  finish(
    id: string,
    userId: string,
    status: Exclude<GenerationStatus, 'running'>,
    error?: string | null,
  ): Promise<boolean>;
  /** Running generations of one user, or of everyone when `userId` is omitted. */
  listRunning(userId?: string): Promise<GenerationRecord[]>;
  /**
   * Start-up after a crash: every `running` generation becomes `interrupted` and its `streaming`
   * messages become `interrupted` (and are indexed). Returns how many generations changed.
   * With several server instances on one database, only call it when none is generating.
   */
  markAllRunningInterrupted(): Promise<number>;
}

export interface SearchStore {
  /**
   * Conversations of `userId` whose title or one message contains every word of `query` (whole words
   * or prefixes of ≥ 3 characters), newest first, one result per conversation. Never others' data.
   * An empty query returns `[]`.
   */
  query(userId: string, query: string, options?: { limit?: number }): Promise<SearchResult[]>;
}
