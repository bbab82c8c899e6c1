/**
 * One conversation's state: the message tree, the shown branch, and at most one generation streamed by
 * this tab. Streamed text is buffered and applied once per animation frame, and only the streaming
 * message gets a new object, so memoised rows of a long conversation do not re-render.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, api } from '../api/client.ts';
import {
  answerNow as answerNowRequest,
  attach,
  confirmToolCall,
  continueAnswer,
  type GenerationEvent,
  regenerate as regenerateRequest,
  type SendOptions,
  sendMessage,
  stopGeneration,
  type TurnDocuments,
} from '../api/generation-stream.ts';
import type { SseParser } from '../api/sse.ts';
import type {
  ConversationDetail,
  Message,
  MetaEventData,
  ThinkingOption,
  ToolConfirm,
} from '../api/types.ts';
import { storedSelection, storeSelection } from '../lib/prefs.ts';
import { activePath, indexChildren, ROOT, selectSibling } from '../lib/tree.ts';
import { applyEvents, reasoningTokensAfter, type StreamTiming } from './apply-event.ts';
import { chatErrorFrom } from './chat-error.ts';
import { type ChatState, EMPTY, fromDetail, mergeDetail, streamingGeneration } from './chat-state.ts';

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

type Opener = (
  signal: AbortSignal,
) => Promise<{ events: AsyncGenerator<GenerationEvent>; parser: SseParser }>;

interface StreamContext {
  mode: 'send' | 'regenerate' | 'continue' | 'attach';
  /** The optimistic user message to replace with the server's id (send mode). */
  tempUserId?: string;
  generationId?: string;
  /** Called once the server accepted the turn (its first event). */
  onAdmitted?: () => void;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  });

/** Resolves when the browser is back online (or `signal` aborts). */
const online = (signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (navigator.onLine || signal.aborted) return resolve();
    const done = () => {
      window.removeEventListener('online', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    window.addEventListener('online', done);
    signal.addEventListener('abort', done, { once: true });
  });

export function useChat(opts: UseChatOptions) {
  const [state, setState] = useState<ChatState>(EMPTY);
  const stateRef = useRef(state);
  stateRef.current = state;
  const optsRef = useRef(opts);
  optsRef.current = opts;
  const abortRef = useRef<AbortController | undefined>(undefined);
  const createdRef = useRef<string | undefined>(undefined);
  const stopRequested = useRef(false);
  // The streaming generation's id, set the moment `meta` arrives: a Stop clicked before React re-rendered
  // (stateRef still without the id) must not be lost.
  const generationRef = useRef<string | undefined>(undefined);
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

  const runStream = useCallback(
    /** Resolves `false` when the turn never started (the server refused it), `true` otherwise. */
    async (open: Opener, ctx: StreamContext, ac: AbortController): Promise<boolean> => {
      abortRef.current = ac;
      stopRequested.current = false;
      generationRef.current = ctx.generationId;
      let reconnecting = false;
      const timing: StreamTiming = {};
      let assistantId: string | undefined;
      let generationId = ctx.generationId;
      let lastEventId: string | undefined;
      let finished = false;
      let failures = 0;
      let pending: GenerationEvent[] = [];
      let frame: number | undefined;

      const flush = () => {
        if (frame !== undefined) cancelAnimationFrame(frame);
        frame = undefined;
        const id = assistantId;
        if (pending.length === 0 || id === undefined) return;
        const batch = pending;
        pending = [];
        const now = performance.now();
        const wallNow = Date.now();
        setState((s) => {
          const msg = s.messages.get(id);
          if (!msg) return s;
          const messages = new Map(s.messages);
          messages.set(id, applyEvents(msg, batch, timing, now, wallNow));
          const thinking = s.thinking && {
            ...s.thinking,
            used: reasoningTokensAfter(s.thinking.used, batch),
          };
          return { ...s, messages, queued: undefined, thinking };
        });
      };

      const onMeta = (meta: MetaEventData) => {
        generationId = meta.generationId;
        generationRef.current = meta.generationId;
        assistantId = meta.assistantMessageId;
        const aid = meta.assistantMessageId;
        setState((s) => {
          const messages = new Map(s.messages);
          let selection = new Map(s.selection);
          if (ctx.tempUserId) {
            const temp = messages.get(ctx.tempUserId);
            messages.delete(ctx.tempUserId);
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
        });
        // Once: a reattach after a dropped connection replays the meta event.
        ctx.onAdmitted?.();
        ctx.onAdmitted = undefined;
        // The first message titled the conversation: the sidebar shows it now, not after the answer.
        if (meta.title) optsRef.current.onChanged();
        if (stopRequested.current) {
          stopRequested.current = false;
          void stopGeneration(meta.generationId).catch(() => undefined);
        }
      };

      setState((s) => ({ ...s, busy: true, error: undefined, generationId }));
      let opener = open;
      while (!finished && !ac.signal.aborted) {
        try {
          const { events, parser } = await opener(ac.signal);
          for await (const ev of events) {
            lastEventId = parser.lastEventId || String(ev.id);
            failures = 0;
            if (reconnecting) {
              reconnecting = false;
              setState((s) => ({ ...s, reconnecting: false }));
            }
            if (ev.type === 'meta') {
              onMeta(ev.data);
            } else if (ev.type === 'queued') {
              const queued = ev.data;
              setState((s) => ({ ...s, queued }));
            } else {
              pending.push(ev);
              if (ev.type === 'done') {
                finished = true;
                flush();
              } else {
                frame ??= requestAnimationFrame(flush);
              }
            }
          }
          flush();
          if (!finished) throw new Error('stream ended before done');
        } catch (err) {
          flush();
          if (ac.signal.aborted) return true;
          if (generationId === undefined) {
            // The turn never started (quota, model, overload, validation): drop the optimistic message.
            const error = await chatErrorFrom(err);
            setState((s) => {
              if (!ctx.tempUserId) return { ...s, error, busy: false };
              const messages = new Map(s.messages);
              messages.delete(ctx.tempUserId);
              return { ...s, messages, structure: s.structure + 1, error, busy: false };
            });
            return false;
          }
          if (err instanceof ApiError && err.status === 404) break;
          // A dropped connection: the generation goes on server-side, so pick it up where it was.
          if (!reconnecting) {
            reconnecting = true;
            setState((s) => ({ ...s, reconnecting: true }));
          }
          if (!navigator.onLine) {
            // Offline: wait for the network rather than spend the retries on requests that cannot go out.
            await online(ac.signal);
          } else {
            failures++;
            if (failures > 5) break;
            await sleep(400 * failures, ac.signal);
          }
          const gid = generationId;
          const after = lastEventId;
          opener = (signal) => attach(gid, after, signal);
        }
      }
      if (ac.signal.aborted) return true;
      if (generationRef.current === generationId) generationRef.current = undefined;
      setState((s) => ({
        ...s,
        busy: false,
        reconnecting: false,
        queued: undefined,
        generationId: undefined,
        streamingId: undefined,
      }));
      if (abortRef.current === ac) abortRef.current = undefined;
      optsRef.current.onChanged();
      // Pick up what the server settled (title, usage, timings, or the state after a broken stream).
      void reload();
      return true;
    },
    [reload],
  );

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
  }, [conversationId, runStream]);

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
      setState((st) => {
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
      });
      const { model, thinking, tools, search, documents } = optsRef.current.settings();
      const body: SendOptions = {
        content,
        model,
        thinking,
        ...(tools?.length ? { tools } : {}),
        ...(search ? { search: true } : {}),
        ...(documents ? { documents } : {}),
      };
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
      const { model, thinking, tools, search, documents } = optsRef.current.settings();
      const body = {
        model,
        thinking,
        ...(tools?.length ? { tools } : {}),
        ...(search ? { search: true } : {}),
        ...(documents ? { documents } : {}),
      };
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

  const answerNow = useCallback(async () => {
    const gid = stateRef.current.generationId;
    if (!gid) return;
    setState((s) => (s.thinking ? { ...s, thinking: { ...s.thinking, ending: true } } : s));
    try {
      await answerNowRequest(gid);
    } catch (err) {
      const error = await chatErrorFrom(err);
      setState((s) => ({
        ...s,
        error,
        ...(s.thinking ? { thinking: { ...s.thinking, ending: false } } : {}),
      }));
    }
  }, []);

  const stop = useCallback(async () => {
    const gid = generationRef.current ?? stateRef.current.generationId;
    if (!gid) {
      stopRequested.current = true;
      return;
    }
    try {
      await stopGeneration(gid);
    } catch (err) {
      const error = await chatErrorFrom(err);
      setState((s) => ({ ...s, error }));
    }
  }, []);

  /**
   * Run (or not) a tool call of `messageId` that waits for the user. The buttons are disabled while the
   * decision travels; `tool_result` then replaces them. A failed request gives them back (except a 404:
   * the call waits no more, and its result is on the way).
   */
  const confirmTool = useCallback(async (messageId: string, callId: string, approve: boolean) => {
    const s = stateRef.current;
    const gid = s.messages.get(messageId)?.generationId ?? generationRef.current ?? s.generationId;
    if (!gid) return;
    const mark = (decision: ToolConfirm['decision']) =>
      setState((st) => {
        const msg = st.messages.get(messageId);
        const steps = msg?.toolSteps;
        if (!msg || !steps?.some((step) => step.id === callId && step.confirm)) return st;
        const toolSteps = steps.map((step) =>
          step.id === callId && step.confirm ? { ...step, confirm: { ...step.confirm, decision } } : step,
        );
        const messages = new Map(st.messages);
        messages.set(messageId, { ...msg, toolSteps } satisfies Message);
        return { ...st, messages };
      });
    mark(approve ? 'run' : 'skip');
    try {
      await confirmToolCall(gid, callId, approve);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return;
      mark(undefined);
      const error = await chatErrorFrom(err);
      setState((st) => ({ ...st, error }));
    }
  }, []);

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
  useEffect(() => () => abortRef.current?.abort(), []);

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
