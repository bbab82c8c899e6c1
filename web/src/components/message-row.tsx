import { memo, useMemo, useState } from 'react';
import type { Message } from '../api/types.ts';
import { passagesOfSteps } from '../chat/passages.ts';
import { type Source, sourcesOfSteps } from '../chat/sources.ts';
import { useT } from '../i18n/index.ts';
import { CopyButton } from './code-block.tsx';
import { DocPassagesContext } from './doc-citation.tsx';
import { Markdown } from './markdown.tsx';
import { ReasoningPanel } from './reasoning-panel.tsx';

export interface MessageRowProps {
  message: Message;
  siblingIndex: number;
  siblingCount: number;
  prevSibling?: string;
  nextSibling?: string;
  busy: boolean;
  queued?: { position: number; etaMs?: number };
  onSelect: (parentId: string | null, id: string) => void;
  onEdit: (id: string, content: string) => void;
  onRegenerate: (id: string) => void;
  onContinue: (id: string) => void;
  /** The streaming answer's thinking budget (see `ChatState.thinking`). */
  thinking?: { used: number; budget?: number; canEnd: boolean; ending: boolean };
  onAnswerNow: () => void;
  /** Run (or not) a tool call of this message that waits for the user. */
  onConfirmTool?: (messageId: string, callId: string, approve: boolean) => void;
}

function BranchNav(
  props: Pick<
    MessageRowProps,
    'message' | 'siblingIndex' | 'siblingCount' | 'prevSibling' | 'nextSibling' | 'onSelect'
  >,
) {
  const t = useT();
  const { message, siblingIndex, siblingCount, prevSibling, nextSibling, onSelect } = props;
  if (siblingCount < 2) return null;
  return (
    // biome-ignore lint/a11y/useSemanticElements: a small toolbar of two buttons and a counter
    <div className="branch-nav" role="group" aria-label={t('branchOf', { i: siblingIndex, n: siblingCount })}>
      <button
        type="button"
        className="icon-button"
        aria-label={t('previousBranch')}
        disabled={!prevSibling}
        onClick={() => prevSibling && onSelect(message.parentId, prevSibling)}
      >
        ‹
      </button>
      <span className="branch-count">
        {siblingIndex}/{siblingCount}
      </span>
      <button
        type="button"
        className="icon-button"
        aria-label={t('nextBranch')}
        disabled={!nextSibling}
        onClick={() => nextSibling && onSelect(message.parentId, nextSibling)}
      >
        ›
      </button>
    </div>
  );
}

function Queued({ queued }: { queued: { position: number; etaMs?: number } }) {
  const t = useT();
  const text =
    queued.etaMs === undefined
      ? t('queued', { position: queued.position })
      : t('queuedEta', { position: queued.position, seconds: Math.max(1, Math.round(queued.etaMs / 1000)) });
  return (
    <output className="queued" aria-live="polite">
      {text}
    </output>
  );
}

function StatusNote({ message }: { message: Message }) {
  const t = useT();
  switch (message.status) {
    case 'cancelled':
      return <p className="status-note">{t('stopped')}</p>;
    case 'interrupted':
      return <p className="status-note">{t('interrupted')}</p>;
    case 'error':
      return (
        <p className="status-note status-error" role="alert">
          {t('generationFailed', { error: message.error ?? '' })}
        </p>
      );
    case 'complete':
    case 'streaming':
      return null;
    default:
      message.status satisfies never;
      return null;
  }
}

function UserMessage(props: MessageRowProps) {
  const t = useT();
  const { message, busy, onEdit } = props;
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(message.content);
  if (editing) {
    return (
      <form
        className="edit-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (!draft.trim()) return;
          setEditing(false);
          onEdit(message.id, draft);
        }}
      >
        <textarea
          aria-label={t('edit')}
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          rows={Math.min(12, draft.split('\n').length + 1)}
        />
        <div className="edit-actions">
          <button type="button" className="button" onClick={() => setEditing(false)}>
            {t('cancel')}
          </button>
          <button type="submit" className="button primary" disabled={busy || !draft.trim()}>
            {t('send')}
          </button>
        </div>
      </form>
    );
  }
  return (
    <>
      <div className="bubble">
        <Markdown text={message.content} />
      </div>
      <div className="message-actions">
        <BranchNav {...props} />
        <CopyButton text={message.content} />
        <button
          type="button"
          className="icon-button"
          disabled={busy || message.id.startsWith('temp-')}
          onClick={() => {
            setDraft(message.content);
            setEditing(true);
          }}
        >
          {t('edit')}
        </button>
      </div>
    </>
  );
}

/** "Sources" under an answer that searched the web: numbered title links with their host. */
function SourcesList({ sources }: { sources: readonly Source[] }) {
  const t = useT();
  return (
    <section className="sources" aria-label={t('sources')}>
      <h2 className="sources-title">{t('sources')}</h2>
      <ol className="sources-list">
        {sources.map((s) => (
          <li key={s.n} value={s.n} className="source">
            <a href={s.url} title={s.title || s.host} target="_blank" rel="noopener noreferrer">
              {s.title || s.host}
            </a>
            <span className="source-host">{s.host}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}

function AssistantMessage(props: MessageRowProps) {
  const t = useT();
  const { message, busy, queued, onRegenerate, onContinue, thinking, onAnswerNow, onConfirmTool } = props;
  const cutOff = message.status === 'complete' && message.finishReason === 'length';
  const continuable = cutOff || message.status === 'cancelled' || message.status === 'interrupted';
  const streaming = message.status === 'streaming';
  const showReasoning = message.reasoning.length > 0 || (message.toolSteps?.length ?? 0) > 0;
  const sources = useMemo(() => sourcesOfSteps(message.toolSteps), [message.toolSteps]);
  const passages = useMemo(() => passagesOfSteps(message.toolSteps), [message.toolSteps]);
  return (
    <>
      {queued && streaming && !message.reasoning && !message.content ? <Queued queued={queued} /> : null}
      {showReasoning ? (
        <ReasoningPanel
          messageId={message.id}
          reasoning={message.reasoning}
          toolSteps={message.toolSteps}
          streaming={streaming}
          answering={message.content.length > 0}
          reasoningMs={message.reasoningMs}
          {...(streaming && thinking ? { budget: thinking, onAnswerNow } : {})}
          {...(streaming && onConfirmTool ? { onConfirmTool } : {})}
        />
      ) : null}
      {message.content ? (
        <DocPassagesContext.Provider value={passages}>
          <Markdown
            text={message.content}
            {...(sources.length > 0 ? { sources } : {})}
            {...(passages.size > 0 ? { passages } : {})}
          />
        </DocPassagesContext.Provider>
      ) : null}
      {message.content && sources.length > 0 ? <SourcesList sources={sources} /> : null}
      {streaming && !message.content && !showReasoning && !queued ? (
        <span className="typing" role="status" aria-label={t('loading')} />
      ) : null}
      <StatusNote message={message} />
      {cutOff ? <p className="status-note status-cut">{t('cutOff')}</p> : null}
      {streaming ? null : (
        <div className="message-actions">
          <BranchNav {...props} />
          <CopyButton text={message.content} />
          {continuable ? (
            <button
              type="button"
              className="icon-button continue-answer"
              disabled={busy}
              onClick={() => onContinue(message.id)}
            >
              {t('continueAnswer')}
            </button>
          ) : null}
          <button
            type="button"
            className="icon-button"
            disabled={busy}
            onClick={() => onRegenerate(message.id)}
          >
            {t('regenerate')}
          </button>
        </div>
      )}
    </>
  );
}

/** One message of the shown branch; memoised so only the streaming message re-renders per token. */
export const MessageRow = memo(function MessageRow(props: MessageRowProps) {
  const { message } = props;
  return (
    <article
      className={`message message-${message.role}`}
      data-message-id={message.id}
      data-status={message.status}
      aria-busy={message.status === 'streaming'}
    >
      {message.role === 'user' ? <UserMessage {...props} /> : <AssistantMessage {...props} />}
    </article>
  );
});
