/**
 * Reading one generation's event stream into the chat state: events are buffered and applied once per
 * animation frame, a dropped connection is picked up again where it was (the generation goes on
 * server-side), and a Stop clicked before the server named the generation is sent as soon as it does.
 */
import { type Dispatch, type SetStateAction, useCallback, useRef } from 'react';
import { ApiError } from '../api/client.ts';
import { attach, type GenerationEvent, stopGeneration } from '../api/generation-stream.ts';
import type { SseParser } from '../api/sse.ts';
import type { MetaEventData } from '../api/types.ts';
import type { StreamTiming } from './apply-event.ts';
import { chatErrorFrom } from './chat-error.ts';
import type { ChatState } from './chat-state.ts';
import { withAdmittedTurn, withEvents, withRefusedTurn, withStreamEnded } from './stream-state.ts';

export type Opener = (
  signal: AbortSignal,
) => Promise<{ events: AsyncGenerator<GenerationEvent>; parser: SseParser }>;

export interface StreamContext {
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

export interface GenerationStreamOptions {
  setState: Dispatch<SetStateAction<ChatState>>;
  /** The chat's latest options: `onChanged` tells the sidebar that the title or order may have changed. */
  optsRef: { readonly current: { onChanged: () => void } };
  /** Fetches the server's copy of the conversation once a stream is over. */
  reload: () => Promise<void>;
}

export function useGenerationStream({ setState, optsRef, reload }: GenerationStreamOptions) {
  const abortRef = useRef<AbortController | undefined>(undefined);
  const stopRequested = useRef(false);
  // The streaming generation's id, set the moment `meta` arrives: a Stop clicked before React re-rendered
  // (stateRef still without the id) must not be lost.
  const generationRef = useRef<string | undefined>(undefined);

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
        setState((s) => withEvents(s, id, batch, timing, now, wallNow));
      };

      const onMeta = (meta: MetaEventData) => {
        generationId = meta.generationId;
        generationRef.current = meta.generationId;
        assistantId = meta.assistantMessageId;
        setState((s) => withAdmittedTurn(s, meta, ctx.tempUserId));
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
            setState((s) => withRefusedTurn(s, ctx.tempUserId, error));
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
      setState(withStreamEnded);
      if (abortRef.current === ac) abortRef.current = undefined;
      optsRef.current.onChanged();
      // Pick up what the server settled (title, usage, timings, or the state after a broken stream).
      void reload();
      return true;
    },
    [setState, optsRef, reload],
  );

  return { runStream, abortRef, stopRequested, generationRef };
}
