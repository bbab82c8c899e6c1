import { memo, useCallback, useEffect, useId, useState } from 'react';
import type { ToolStep } from '../api/types.ts';
import { reasoningSummary, splitTimeline, withToolCalls } from '../chat/timeline.ts';
import { useI18n } from '../i18n/index.ts';
import { useFormat } from '../lib/format.ts';
import { reasoningOpen, setReasoningOpen } from '../lib/prefs.ts';
import { ToolStepCard } from './tool-step-card.tsx';

export interface ReasoningPanelProps {
  messageId: string;
  reasoning: string;
  /** The tool calls made while thinking, placed in the reasoning at their `reasoningOffset`. */
  toolSteps?: readonly ToolStep[];
  /** The message is still being generated. */
  streaming: boolean;
  /** The answer has started (the model stopped thinking). */
  answering: boolean;
  reasoningMs?: number;
  /** While it thinks: reasoning tokens used and the budget, and "answer now" when the model allows it. */
  budget?: { used: number; budget?: number; canEnd: boolean; ending: boolean };
  onAnswerNow?: () => void;
  /** The user's decision on a call of this message that waits for it (see `ToolStep.confirm`). */
  onConfirmTool?: (messageId: string, callId: string, approve: boolean) => void;
}

/**
 * The model's chain of thought: open and live while it thinks, folded to "Thought for N s · 2 tool calls"
 * once the answer starts. With tool calls it reads as a timeline: reasoning, a call's card, reasoning…
 * A user's explicit open/close is remembered per message; a call waiting for the user keeps it open.
 */
export const ReasoningPanel = memo(function ReasoningPanel(props: ReasoningPanelProps) {
  const {
    messageId,
    reasoning,
    toolSteps,
    streaming,
    answering,
    reasoningMs,
    budget,
    onAnswerNow,
    onConfirmTool,
  } = props;
  const { t, lang } = useI18n();
  const f = useFormat();
  const bodyId = useId();
  const [stored, setStored] = useState(() => reasoningOpen(messageId));
  const thinking = streaming && !answering;
  // A call waiting for the user keeps the panel open: its buttons must be seen.
  const waiting = streaming && (toolSteps?.some((s) => s.confirm && !s.result) ?? false);
  const open = waiting || (stored ?? thinking);
  const onConfirm = useCallback(
    (callId: string, approve: boolean) => onConfirmTool?.(messageId, callId, approve),
    [onConfirmTool, messageId],
  );
  const elapsed = useElapsed(thinking);
  const seconds = Math.max(1, Math.round((reasoningMs ?? elapsed) / 1000));
  const calls = toolSteps?.length ?? 0;
  const label = thinking
    ? withToolCalls(
        `${t('thinking')}${elapsed >= 1000 ? ` ${Math.floor(elapsed / 1000)} s` : ''}`,
        t,
        lang,
        calls,
      )
    : reasoningSummary(t, lang, seconds, calls);
  return (
    <div className={`reasoning${thinking ? ' reasoning-live' : ''}`} data-open={open}>
      <button
        type="button"
        className="reasoning-toggle"
        aria-expanded={open}
        aria-controls={bodyId}
        onClick={() => {
          setReasoningOpen(messageId, !open);
          setStored(!open);
        }}
      >
        <span className="reasoning-chevron" aria-hidden="true">
          {open ? '▾' : '▸'}
        </span>
        {label}
      </button>
      {thinking && budget ? (
        <div className="reasoning-budget">
          <span className="reasoning-budget-used">
            {budget.budget === undefined
              ? t('thinkingTokens', { used: f.num(budget.used) })
              : t('thinkingBudget', { used: f.num(budget.used), budget: f.num(budget.budget) })}
          </span>
          {budget.canEnd && onAnswerNow ? (
            <button
              type="button"
              className="icon-button answer-now"
              disabled={budget.ending}
              onClick={onAnswerNow}
            >
              {t('answerNow')}
            </button>
          ) : null}
        </div>
      ) : null}
      <div id={bodyId} className="reasoning-body" hidden={!open}>
        {calls === 0
          ? reasoning
          : splitTimeline(reasoning, toolSteps).map((item) =>
              item.kind === 'reasoning' ? (
                <div key={item.key} className="reasoning-segment">
                  {item.text}
                </div>
              ) : (
                <ToolStepCard
                  key={item.key}
                  step={item.step}
                  streaming={streaming}
                  {...(onConfirmTool ? { onConfirm } : {})}
                />
              ),
            )}
      </div>
    </div>
  );
});

/** Milliseconds since `running` became true, ticking each second while it stays true. */
function useElapsed(running: boolean): number {
  const [start] = useState(() => performance.now());
  const [now, setNow] = useState(start);
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(performance.now()), 1000);
    return () => clearInterval(timer);
  }, [running]);
  return now - start;
}
