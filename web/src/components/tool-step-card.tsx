import { memo, useId, useState } from 'react';
import type { ToolStep } from '../api/types.ts';
import { formatToolMs, prettyArguments, previewLine, truncate } from '../chat/timeline.ts';
import { useI18n } from '../i18n/index.ts';

/** Folded, arguments show this much; the result one line of this many characters. */
const ARGS_CHARS = 400;
const ARGS_LINES = 8;
const PREVIEW_CHARS = 140;

export interface ToolStepCardProps {
  step: ToolStep;
  /** The answer is still streaming: a step without a result is running (else it never got one). */
  streaming: boolean;
}

/**
 * One tool call in the reasoning timeline: name, arguments, run time, and the result folded to a line.
 * Arguments and results come from the model and the tool: rendered as text nodes only (never HTML or
 * Markdown), cut short while folded.
 */
export const ToolStepCard = memo(function ToolStepCard({ step, streaming }: ToolStepCardProps) {
  const { t, lang } = useI18n();
  const [open, setOpen] = useState(false);
  const bodyId = useId();
  const { result } = step;
  const status = result ? (result.isError ? 'error' : 'ok') : streaming ? 'running' : 'missing';
  const time = result ? formatToolMs(result.ms, t, lang) : streaming ? t('toolRunning') : t('toolNoResult');
  const args = prettyArguments(step.arguments);
  const shownArgs = open ? { text: args, omitted: 0 } : truncate(args, ARGS_CHARS, ARGS_LINES);
  return (
    <div className="tool-step" data-status={status}>
      <button
        type="button"
        className="tool-step-head"
        aria-expanded={open}
        aria-controls={bodyId}
        onClick={() => setOpen(!open)}
      >
        <span className="reasoning-chevron" aria-hidden="true">
          {open ? '▾' : '▸'}
        </span>
        <span className="tool-step-name">{step.name}</span>
        <span className="tool-step-time">{time}</span>
      </button>
      <div id={bodyId} className="tool-step-body">
        {args.trim() ? (
          <div className="tool-step-field">
            <span className="tool-step-label">{t('toolArguments')}</span>
            <pre className="tool-step-args">
              {shownArgs.text}
              {shownArgs.omitted > 0 ? `\n${t('toolMore', { n: shownArgs.omitted })}` : null}
            </pre>
          </div>
        ) : null}
        {result ? (
          <div className={`tool-step-field${result.isError ? ' tool-step-error' : ''}`}>
            <span className="tool-step-label">{result.isError ? t('toolError') : t('toolResult')}</span>
            {open ? (
              <pre className="tool-step-output">{result.content}</pre>
            ) : (
              <button type="button" className="tool-step-preview" onClick={() => setOpen(true)}>
                {previewLine(result.content, PREVIEW_CHARS)}
              </button>
            )}
          </div>
        ) : null}
      </div>
    </div>
  );
});
