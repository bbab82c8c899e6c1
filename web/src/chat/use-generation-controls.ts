/**
 * What the user does to the answer that streams: end its thinking now, stop it, and run (or not) a tool
 * call that waits for a decision. Each failed request shows its error in the chat.
 */
import { type Dispatch, type SetStateAction, useCallback } from 'react';
import { ApiError } from '../api/client.ts';
import { answerNow as answerNowRequest, confirmToolCall, stopGeneration } from '../api/generation-stream.ts';
import { chatErrorFrom } from './chat-error.ts';
import type { ChatState } from './chat-state.ts';
import { withToolDecision } from './stream-state.ts';

export interface GenerationControlsOptions {
  stateRef: { readonly current: ChatState };
  setState: Dispatch<SetStateAction<ChatState>>;
  /** The streaming generation's id as soon as the stream names it (before React re-renders). */
  generationRef: { readonly current: string | undefined };
  /** Set when Stop is clicked before the generation has an id: the stream stops it once it has one. */
  stopRequested: { current: boolean };
}

export function useGenerationControls({
  stateRef,
  setState,
  generationRef,
  stopRequested,
}: GenerationControlsOptions) {
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
  }, [stateRef, setState]);

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
  }, [stateRef, setState, generationRef, stopRequested]);

  /**
   * Run (or not) a tool call of `messageId` that waits for the user. The buttons are disabled while the
   * decision travels; `tool_result` then replaces them. A failed request gives them back (except a 404:
   * the call waits no more, and its result is on the way).
   */
  const confirmTool = useCallback(
    async (messageId: string, callId: string, approve: boolean) => {
      const s = stateRef.current;
      const gid = s.messages.get(messageId)?.generationId ?? generationRef.current ?? s.generationId;
      if (!gid) return;
      setState((st) => withToolDecision(st, messageId, callId, approve ? 'run' : 'skip'));
      try {
        await confirmToolCall(gid, callId, approve);
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return;
        setState((st) => withToolDecision(st, messageId, callId, undefined));
        const error = await chatErrorFrom(err);
        setState((st) => ({ ...st, error }));
      }
    },
    [stateRef, setState, generationRef],
  );

  return { answerNow, stop, confirmTool };
}
