import { memo, useEffect, useId, useMemo, useState } from 'react';
import type { ToolConfirm, ToolStep } from '../api/types.ts';
import { documentNotice, documentQuery, parsePassages, SEARCH_DOCUMENTS } from '../chat/passages.ts';
import { parseSources, searchQuery } from '../chat/sources.ts';
import { formatToolMs, prettyArguments, previewLine, truncate } from '../chat/timeline.ts';
import { pluralKey, useI18n } from '../i18n/index.ts';
import { DocStepPreview } from './doc-step-preview.tsx';

/** Folded, arguments show this much; the result one line of this many characters. */
const ARGS_CHARS = 400;
const ARGS_LINES = 8;
const PREVIEW_CHARS = 140;

export interface ToolStepCardProps {
  step: ToolStep;
  /** The answer is still streaming: a step without a result is running (else it never got one). */
  streaming: boolean;
  /** The user's decision on a call that waits for it (`step.confirm`): `true` runs the tool. */
  onConfirm?: (callId: string, approve: boolean) => void;
}

/**
 * One tool call in the reasoning timeline: name, arguments, run time, and the result folded to a line.
 * A call to a tool that changes things first waits for the user: "Run" / "Don't run" and the time left.
 * Arguments, results and the tool's title come from the model, the tool and its server: rendered as text
 * nodes only (never HTML or Markdown), cut short while folded.
 */
export const ToolStepCard = memo(function ToolStepCard({ step, streaming, onConfirm }: ToolStepCardProps) {
  const { t, lang } = useI18n();
  const [open, setOpen] = useState(false);
  const bodyId = useId();
  const { result } = step;
  const confirm = !result && streaming ? step.confirm : undefined;
  const asking = confirm !== undefined && confirm.decision === undefined;
  const status = result
    ? result.isError
      ? 'error'
      : 'ok'
    : asking
      ? 'waiting'
      : streaming
        ? 'running'
        : 'missing';
  const time = result
    ? formatToolMs(result.ms, t, lang)
    : asking
      ? t('toolWaiting')
      : streaming
        ? t('toolRunning')
        : t('toolNoResult');
  const args = prettyArguments(step.arguments);
  // A web search reads, folded, as its query and the pages it read (the raw result opens on click).
  const search = step.name === 'web_search';
  // The documents step reads, folded, as its query and the passages retrieved (issue 13).
  const docs = step.name === SEARCH_DOCUMENTS;
  const docQuery = docs ? documentQuery(step.arguments) : undefined;
  const passages = useMemo(
    () => (docs && result && !result.isError ? parsePassages(result.content) : []),
    [docs, result],
  );
  const query = search ? searchQuery(step.arguments) : (docQuery?.query ?? '');
  const pages = useMemo(
    () => (search && result && !result.isError ? parseSources(result.content) : []),
    [search, result],
  );
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
        {(search || docs) && query && !open ? (
          <div className="tool-step-field">
            <span className="tool-step-label">{t('searchQueryLabel')}</span>
            <span className="tool-step-query">{query}</span>
          </div>
        ) : args.trim() ? (
          <div className="tool-step-field">
            <span className="tool-step-label">{t('toolArguments')}</span>
            <pre className="tool-step-args">
              {shownArgs.text}
              {shownArgs.omitted > 0 ? `\n${t('toolMore', { n: shownArgs.omitted })}` : null}
            </pre>
          </div>
        ) : null}
        {confirm ? <ConfirmBox step={step} confirm={confirm} onConfirm={onConfirm} /> : null}
        {result ? (
          <div className={`tool-step-field${result.isError ? ' tool-step-error' : ''}`}>
            <span className="tool-step-label">{result.isError ? t('toolError') : t('toolResult')}</span>
            {open ? (
              <pre className="tool-step-output">{result.content}</pre>
            ) : docs && !result.isError ? (
              <DocStepPreview
                passages={passages}
                notice={documentNotice(result.content)}
                whole={docQuery?.whole === true}
                onOpen={() => setOpen(true)}
              />
            ) : pages.length > 0 ? (
              <button
                type="button"
                className="tool-step-preview tool-step-pages"
                onClick={() => setOpen(true)}
              >
                <span className="tool-step-pages-count">
                  {t(pluralKey(lang, 'searchPagesRead', pages.length), { n: pages.length })}
                </span>
                {pages.map((p) => (
                  <span key={p.n} className="tool-step-page">
                    <span className="tool-step-page-title">
                      [{p.n}] {p.title || p.host}
                    </span>
                    <span className="tool-step-page-host">{p.host}</span>
                  </span>
                ))}
              </button>
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

/** The question for a waiting call: what it is, that it changes things, the time left, and the two buttons. */
function ConfirmBox({
  step,
  confirm,
  onConfirm,
}: {
  step: ToolStep;
  confirm: ToolConfirm;
  onConfirm: ToolStepCardProps['onConfirm'];
}) {
  const { t } = useI18n();
  const title = confirm.title.trim() || step.name;
  const decided = confirm.decision !== undefined || !onConfirm;
  return (
    <fieldset className="tool-step-confirm" data-decision={confirm.decision ?? 'pending'}>
      <legend className="tool-step-confirm-question">{t('toolConfirmQuestion', { title })}</legend>
      <p className="tool-step-confirm-note">{t('toolChangesThings')}</p>
      <div className="tool-step-confirm-actions">
        <button
          type="button"
          className="button primary"
          disabled={decided}
          onClick={() => onConfirm?.(step.id, true)}
        >
          {t('toolRun')}
        </button>
        <button
          type="button"
          className="button"
          disabled={decided}
          onClick={() => onConfirm?.(step.id, false)}
        >
          {t('toolDontRun')}
        </button>
        {confirm.decision === undefined ? <TimeLeft expiresAt={confirm.expiresAt} /> : null}
      </div>
    </fieldset>
  );
}

/** "4:59 left to decide", ticking each second (never below 0:00). */
function TimeLeft({ expiresAt }: { expiresAt: number }) {
  const { t } = useI18n();
  const [now, setNow] = useState(() => Date.now());
  const left = Math.max(0, expiresAt - now);
  const over = left <= 0;
  useEffect(() => {
    if (over) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [over]);
  return (
    <span className="tool-step-left" role="timer">
      {t('toolTimeLeft', { time: clock(left) })}
    </span>
  );
}

/** Milliseconds as m:ss (rounded up, so the last second reads 0:01). */
export function clock(ms: number): string {
  const total = Math.ceil(Math.max(0, ms) / 1000);
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
}
