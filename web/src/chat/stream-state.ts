/**
 * The pure steps a streamed turn takes on the chat state: the optimistic user message, the server
 * admitting the turn (`meta`), a frame's batch of events, a refused turn, the end of the stream, and a
 * tool call's decision. Only the messages that change get new objects, so memoised rows stay put.
 */
import type { GenerationEvent } from '../api/generation-stream.ts';
import type { MetaEventData, ToolConfirm } from '../api/types.ts';
import { selectSibling } from '../lib/tree.ts';
import { applyEvents, reasoningTokensAfter, type StreamTiming } from './apply-event.ts';
import type { ChatError } from './chat-error.ts';
import type { ChatState } from './chat-state.ts';

/** Shows the user's message (under a temporary id) before the server has it, on the shown branch. */
export function withPendingUserMessage(
  st: ChatState,
  tempUserId: string,
  parentId: string | null,
  content: string,
): ChatState {
  const messages = new Map(st.messages);
  messages.set(tempUserId, {
    id: tempUserId,
    parentId,
    role: 'user',
    content,
    reasoning: '',
    status: 'complete',
    model: null,
    createdAt: new Date().toISOString(),
  });
  return {
    ...st,
    messages,
    structure: st.structure + 1,
    selection: selectSibling(st.selection, parentId, tempUserId),
  };
}

/**
 * The server admitted the turn: the temporary user message takes the server's id, and the assistant
 * message starts (again, from empty text: a reattach replays from the first event) as the streaming one.
 */
export function withAdmittedTurn(
  s: ChatState,
  meta: MetaEventData,
  tempUserId: string | undefined,
): ChatState {
  const aid = meta.assistantMessageId;
  const messages = new Map(s.messages);
  let selection = new Map(s.selection);
  if (tempUserId) {
    const temp = messages.get(tempUserId);
    messages.delete(tempUserId);
    if (temp) {
      messages.set(meta.userMessageId, { ...temp, id: meta.userMessageId });
      selection = selectSibling(selection, temp.parentId, meta.userMessageId);
    }
  }
  const existing = messages.get(aid);
  messages.set(aid, {
    ...(existing ?? {
      id: aid,
      parentId: meta.userMessageId,
      role: 'assistant' as const,
      model: meta.model,
      createdAt: new Date().toISOString(),
    }),
    // A reattach replays from the first event, so the text is rebuilt from scratch.
    content: '',
    reasoning: '',
    status: 'streaming',
    generationId: meta.generationId,
    reasoningMs: undefined,
    error: undefined,
    finishReason: undefined,
  });
  selection = selectSibling(selection, meta.userMessageId, aid);
  return {
    ...s,
    ...(meta.title ? { title: meta.title } : {}),
    messages,
    selection,
    structure: s.structure + 1,
    generationId: meta.generationId,
    streamingId: aid,
    thinking: {
      used: 0,
      ...(meta.thinkingBudget === undefined ? {} : { budget: meta.thinkingBudget }),
      canEnd: meta.canEndThinking === true,
      ending: false,
    },
  };
}

/** One animation frame's events applied to the streaming message `id`. */
export function withEvents(
  s: ChatState,
  id: string,
  batch: GenerationEvent[],
  timing: StreamTiming,
  now: number,
  wallNow: number,
): ChatState {
  const msg = s.messages.get(id);
  if (!msg) return s;
  const messages = new Map(s.messages);
  messages.set(id, applyEvents(msg, batch, timing, now, wallNow));
  const thinking = s.thinking && {
    ...s.thinking,
    used: reasoningTokensAfter(s.thinking.used, batch),
  };
  return { ...s, messages, queued: undefined, thinking };
}

/** The turn never started (quota, model, overload, validation): drop the optimistic message, show why. */
export function withRefusedTurn(s: ChatState, tempUserId: string | undefined, error: ChatError): ChatState {
  if (!tempUserId) return { ...s, error, busy: false };
  const messages = new Map(s.messages);
  messages.delete(tempUserId);
  return { ...s, messages, structure: s.structure + 1, error, busy: false };
}

/** The stream is over (done, gone, or given up on): nothing streams any more. */
export const withStreamEnded = (s: ChatState): ChatState => ({
  ...s,
  busy: false,
  reconnecting: false,
  queued: undefined,
  generationId: undefined,
  streamingId: undefined,
});

/**
 * Records the user's decision on tool call `callId` of `messageId` (`undefined` gives the buttons back);
 * unchanged when the call does not wait for one.
 */
export function withToolDecision(
  st: ChatState,
  messageId: string,
  callId: string,
  decision: ToolConfirm['decision'],
): ChatState {
  const msg = st.messages.get(messageId);
  const steps = msg?.toolSteps;
  if (!msg || !steps?.some((step) => step.id === callId && step.confirm)) return st;
  const toolSteps = steps.map((step) =>
    step.id === callId && step.confirm ? { ...step, confirm: { ...step.confirm, decision } } : step,
  );
  const messages = new Map(st.messages);
  messages.set(messageId, { ...msg, toolSteps });
  return { ...st, messages };
}
