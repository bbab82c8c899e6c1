/**
 * One side of an arena battle, streamed live into a `Message` with the chat's own reducer
 * (`applyEvents`), batched per animation frame like the chat. Reattaches with `Last-Event-ID` when the
 * connection drops; `meta` starts the side over (the documented client rule).
 */
import { useEffect, useRef, useState } from 'react';
import { type ArenaSide, sideEvents } from '../api/arena.ts';
import { ApiError } from '../api/client.ts';
import type { GenerationEvent } from '../api/generation-stream.ts';
import type { Message } from '../api/types.ts';
import { applyEvents, type StreamTiming } from './apply-event.ts';

export interface ArenaSideState {
  message: Message;
  queued?: { position: number; etaMs?: number };
  /** The side's stream ended (`done`). */
  done: boolean;
}

function empty(battleId: string, side: ArenaSide): Message {
  return {
    id: `arena-${battleId}-${side}`,
    parentId: null,
    role: 'assistant',
    content: '',
    reasoning: '',
    status: 'streaming',
    model: null,
    createdAt: new Date().toISOString(),
  };
}

const RETRIES = 5;

export function useArenaSide(battleId: string | undefined, side: ArenaSide): ArenaSideState | undefined {
  const [state, setState] = useState<ArenaSideState | undefined>(undefined);
  const pending = useRef<GenerationEvent[]>([]);
  const frame = useRef<number | undefined>(undefined);

  useEffect(() => {
    if (!battleId) {
      setState(undefined);
      return;
    }
    const ac = new AbortController();
    const timing: StreamTiming = {};
    setState({ message: empty(battleId, side), done: false });
    const flush = () => {
      frame.current = undefined;
      const batch = pending.current;
      pending.current = [];
      if (batch.length === 0 || ac.signal.aborted) return;
      setState((s) => {
        let current = s ?? { message: empty(battleId, side), done: false };
        let queued = current.queued;
        let done = current.done;
        let run: GenerationEvent[] = [];
        const applyRun = () => {
          if (run.length > 0)
            current = { ...current, message: applyEvents(current.message, run, timing, performance.now()) };
          run = [];
        };
        for (const ev of batch) {
          if (ev.type === 'meta') {
            applyRun();
            // Start over: what this tab held is replaced by the replay that follows.
            current = { ...current, message: empty(battleId, side) };
            delete timing.reasoningStartedAt;
            delete timing.answerStartedAt;
            continue;
          }
          if (ev.type === 'queued')
            queued = {
              position: ev.data.position,
              ...(ev.data.etaMs === undefined ? {} : { etaMs: ev.data.etaMs }),
            };
          if (ev.type === 'reasoning' || ev.type === 'text') queued = undefined;
          if (ev.type === 'done') done = true;
          run.push(ev);
        }
        applyRun();
        const next: ArenaSideState = { message: current.message, done };
        if (queued && !done) next.queued = queued;
        return next;
      });
    };
    const schedule = () => {
      frame.current ??= requestAnimationFrame(flush);
    };

    void (async () => {
      let lastEventId: string | undefined;
      for (let attempt = 0; attempt <= RETRIES && !ac.signal.aborted; attempt++) {
        try {
          const { events, parser } = await sideEvents(battleId, side, lastEventId, ac.signal);
          for await (const ev of events) {
            lastEventId = parser.lastEventId || String(ev.id);
            pending.current.push(ev);
            schedule();
            if (ev.type === 'done') return;
          }
        } catch (err) {
          if (ac.signal.aborted) return;
          // Refused outright (not found, signed out): no point trying again.
          if (err instanceof ApiError && err.status < 500) {
            setState((s) =>
              s ? { ...s, done: true, message: { ...s.message, status: 'error', error: err.message } } : s,
            );
            return;
          }
        }
        await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
      }
    })();
    return () => {
      ac.abort();
      if (frame.current !== undefined) cancelAnimationFrame(frame.current);
      frame.current = undefined;
      pending.current = [];
    };
  }, [battleId, side]);

  return state;
}
