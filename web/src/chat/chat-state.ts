/** The state of one open conversation, and the pure steps between server copies of it. */
import type { ConversationDetail, Message } from '../api/types.ts';
import type { ChatError } from './chat-error.ts';

export interface ChatState {
  loading: boolean;
  conversationId?: string;
  title?: string;
  messages: ReadonlyMap<string, Message>;
  /** Bumped when messages are added or removed (not when one grows), to memoise the tree index. */
  structure: number;
  selection: ReadonlyMap<string, string>;
  busy: boolean;
  generationId?: string;
  streamingId?: string;
  queued?: { position: number; etaMs?: number };
  /** The stream's connection dropped; the page is picking the generation up again. */
  reconnecting?: boolean;
  /** The streaming answer's thinking budget: tokens used, the budget (when known), whether "answer now" works. */
  thinking?: { used: number; budget?: number; canEnd: boolean; ending: boolean };
  error?: ChatError;
}

export const EMPTY: ChatState = {
  loading: false,
  messages: new Map(),
  structure: 0,
  selection: new Map(),
  busy: false,
};

export function streamingGeneration(detail: ConversationDetail): string | undefined {
  if (detail.activeGenerationId) return detail.activeGenerationId;
  return detail.messages.find((m) => m.status === 'streaming' && m.generationId)?.generationId;
}

export function fromDetail(detail: ConversationDetail): Partial<ChatState> {
  return {
    loading: false,
    conversationId: detail.id,
    title: detail.title,
    messages: new Map(detail.messages.map((m) => [m.id, m])),
    structure: Date.now(),
  };
}

/** Settles local state with the server's copy of the tree after a turn. */
export function mergeDetail(s: ChatState, detail: ConversationDetail): ChatState {
  // Keep unchanged message objects so memoised rows do not re-render after every turn.
  const messages = new Map<string, Message>();
  let changedSet = s.messages.size !== detail.messages.length;
  for (const m of detail.messages) {
    const old = s.messages.get(m.id);
    if (!old) changedSet = true;
    const same =
      old &&
      old.status === m.status &&
      old.content === m.content &&
      old.reasoning === m.reasoning &&
      old.error === m.error;
    // The store may lag the stream's `done` by a moment: never step a finished message back.
    const stale = old && old.status !== 'streaming' && m.status === 'streaming';
    messages.set(m.id, same || stale ? old : m);
  }
  return { ...s, title: detail.title, messages, structure: changedSet ? s.structure + 1 : s.structure };
}
