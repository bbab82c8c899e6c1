/**
 * One conversation's state: the message tree, the shown branch, and at most one generation streamed by
 * this tab. Here: loading the conversation and starting turns (send, edit, regenerate, continue); the
 * stream itself is read by `use-generation-stream.ts` (text buffered and applied once per animation
 * frame, only the streaming message gets a new object, so memoised rows of a long conversation do not
 * re-render), and stop / answer now / tool decisions are in `use-generation-controls.ts`.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../api/client.ts';
import {
  attach,
  continueAnswer,
  regenerate as regenerateRequest,
  type SendOptions,
  sendMessage,
  type TurnDocuments,
} from '../api/generation-stream.ts';
import type { ConversationDetail, ThinkingOption } from '../api/types.ts';
import { storedSelection, storeSelection } from '../lib/prefs.ts';
import { activePath, indexChildren, ROOT, selectSibling } from '../lib/tree.ts';
import { chatErrorFrom } from './chat-error.ts';
import { type ChatState, EMPTY, fromDetail, mergeDetail, streamingGeneration } from './chat-state.ts';
import { withPendingUserMessage } from './stream-state.ts';
import { useGenerationControls } from './use-generation-controls.ts';
import { useGenerationStream } from './use-generation-stream.ts';

export interface TurnSettings {
  model?: string;
  thinking: ThinkingOption;
  /** Ponder's tools the model may call in this turn (sent only when some are chosen). */
  tools?: string[];
  /** Search the web first (sent only when on, in sends and regenerations). */
  search?: boolean;
  /** The documents the turn searches (attached files, chosen collections), sent only when some are. */
  documents?: TurnDocuments;
}

export interface UseChatOptions {
  conversationId: string | undefined;
  /** A new conversation was created for the first message (the page should move to its URL). */
  onCreated: (id: string) => void;
  /** Something the sidebar shows may have changed (title, order). */
  onChanged: () => void;
  settings: () => TurnSettings;
}

/** The turn's settings as a send or a regeneration posts them (tools, search, documents only when used). */
const turnOptions = ({ model, thinking, tools, search, documents }: TurnSettings) => ({
  model,
  thinking,
  ...(tools?.length ? { tools } : {}),
  ...(search ? { search: true } : {}),
  ...(documents ? { documents } : {}),
});

export function useChat(opts: UseChatOptions) {
  const [state, setState] = useState<ChatState>(EMPTY);
  const stateRef = useRef(state);
  stateRef.current = state;
  const optsRef = useRef(opts);
  optsRef.current = opts;
  const createdRef = useRef<string | undefined>(undefined);
  const lastAction = useRef<(() => void) | undefined>(undefined);

  const reload = useCallback(async () => {
    const id = stateRef.current.conversationId;
    if (!id) return;
    const detail = await api<ConversationDetail>(`/api/conversations/${encodeURIComponent(id)}`).catch(
      () => undefined,
    );
    if (detail && stateRef.current.conversationId === id) {
      setState((s) => mergeDetail(s, detail));
    }
  }, []);

  const { runStream, abortRef, stopRequested, generationRef } = useGenerationStream({
    setState,
    optsRef,
    reload,
  });
  const { answerNow, stop, confirmTool } = useGenerationControls({
    stateRef,
    setState,
    generationRef,
    stopRequested,
  });

  // Load the conversation when the URL changes; reattach to a generation still running (after a reload).
  const { conversationId } = opts;
  useEffect(() => {
    if (conversationId !== undefined && conversationId === createdRef.current) return;
    createdRef.current = undefined;
    abortRef.current?.abort();
    if (conversationId === undefined) {
      setState(EMPTY);
      return;
    }
    const ac = new AbortController();
    abortRef.current = ac;
    setState({ ...EMPTY, loading: true, conversationId });
    api<ConversationDetail>(`/api/conversations/${encodeURIComponent(conversationId)}`, { signal: ac.signal })
      .then((detail) => {
        setState({ ...EMPTY, ...fromDetail(detail), selection: storedSelection(detail.id) });
        const gid = streamingGeneration(detail);
        if (gid)
          void runStream(
            (signal) => attach(gid, undefined, signal),
            { mode: 'attach', generationId: gid },
            ac,
          );
      })
      .catch(async (err: unknown) => {
        if (ac.signal.aborted) return;
        const error = await chatErrorFrom(err);
        setState({ ...EMPTY, conversationId, error });
      });
    return () => ac.abort();
  }, [conversationId, runStream, abortRef]);

  const startSend = useCallback(
    async (content: string, parentId: string | null, explicitParent: boolean): Promise<boolean> => {
      const s = stateRef.current;
      if (s.busy) return false;
      let convId = s.conversationId;
      // A conversation made for this send: shown (URL, sidebar) only once the turn is admitted, and
      // deleted again when it is refused (quota, model, overload), so no empty conversation stays.
      let createdNow: string | undefined;
      if (!convId) {
        try {
          const created = await api<{ id: string; title: string }>('/api/conversations', {
            method: 'POST',
            body: {},
          });
          convId = created.id;
          createdNow = created.id;
          createdRef.current = convId;
          setState((st) => ({ ...st, conversationId: created.id, title: created.title }));
        } catch (err) {
          const error = await chatErrorFrom(err);
          setState((st) => ({ ...st, error }));
          return false;
        }
      }
      const tempUserId = `temp-${Date.now()}-${Math.random().toString(36).slice(2)}`;
      setState((st) => withPendingUserMessage(st, tempUserId, parentId, content));
      const body: SendOptions = { content, ...turnOptions(optsRef.current.settings()) };
      if (parentId !== null || explicitParent) body.parentId = parentId;
      const id = convId;
      lastAction.current = () => void startSend(content, parentId, explicitParent);
      // A refused turn (quota, overload…) gives the text back to the composer.
      const admitted = await runStream(
        (signal) => sendMessage(id, body, signal),
        {
          mode: 'send',
          tempUserId,
          ...(createdNow ? { onAdmitted: () => optsRef.current.onCreated(id) } : {}),
        },
        new AbortController(),
      );
      if (!admitted && createdNow && createdRef.current === createdNow) {
        createdRef.current = undefined;
        setState((st) => ({ ...st, conversationId: undefined, title: '' }));
        void api(`/api/conversations/${encodeURIComponent(createdNow)}`, { method: 'DELETE' }).catch(
          () => {},
        );
      }
      return admitted;
    },
    [runStream],
  );

  const send = useCallback(
    (content: string) => {
      const s = stateRef.current;
      const path = activePath(indexChildren(s.messages.values()), s.selection);
      return startSend(content, path.at(-1) ?? null, false);
    },
    [startSend],
  );

  /** Editing a sent user message posts a sibling: same parent, new text. */
  const edit = useCallback(
    (messageId: string, content: string) => {
      const msg = stateRef.current.messages.get(messageId);
      if (!msg) return Promise.resolve(false);
      return startSend(content, msg.parentId, true);
    },
    [startSend],
  );

  const regenerate = useCallback(
    async (assistantId: string) => {
      const s = stateRef.current;
      if (s.busy || !s.conversationId) return;
      const convId = s.conversationId;
      const body = turnOptions(optsRef.current.settings());
      lastAction.current = () => void regenerate(assistantId);
      await runStream(
        (signal) => regenerateRequest(convId, assistantId, body, signal),
        { mode: 'regenerate' },
        new AbortController(),
      );
    },
    [runStream],
  );

  const continueMessage = useCallback(
    async (assistantId: string) => {
      const s = stateRef.current;
      if (s.busy || !s.conversationId) return;
      const convId = s.conversationId;
      const { thinking } = optsRef.current.settings();
      lastAction.current = () => void continueMessage(assistantId);
      await runStream(
        (signal) => continueAnswer(convId, assistantId, { thinking }, signal),
        { mode: 'continue' },
        new AbortController(),
      );
    },
    [runStream],
  );

  const select = useCallback((parentId: string | null, id: string) => {
    setState((s) => ({ ...s, selection: selectSibling(s.selection, parentId ?? ROOT, id) }));
  }, []);

  const retry = useCallback(() => {
    setState((s) => ({ ...s, error: undefined }));
    lastAction.current?.();
  }, []);

  const dismissError = useCallback(() => setState((s) => ({ ...s, error: undefined })), []);

  // Remember the shown branches (only explicit choices are in `selection`; the default is the newest).
  useEffect(() => {
    if (state.conversationId && !state.loading) storeSelection(state.conversationId, state.selection);
  }, [state.conversationId, state.loading, state.selection]);

  // Leaving the page stops reading, never the generation (the server keeps it going for a reattach).
  useEffect(() => () => abortRef.current?.abort(), [abortRef]);

  return {
    state,
    send,
    edit,
    regenerate,
    continueMessage,
    answerNow,
    confirmTool,
    stop,
    select,
    retry,
    dismissError,
  };
}
