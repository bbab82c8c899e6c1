import { useState } from 'react';
import { api } from '../api/client.ts';
import type { ConversationSummary } from '../api/types.ts';
import { useT } from '../i18n/index.ts';

type Mode = 'view' | 'rename' | 'confirm-delete';

/** A sidebar entry with inline rename and a two-step delete (no blocking confirm() dialog). */
export function ConversationItem(props: {
  conversation: ConversationSummary;
  active: boolean;
  onOpen: () => void;
  onRenamed: (title: string) => void;
  onDeleted: () => void;
}) {
  const t = useT();
  const { conversation: c, active } = props;
  const [mode, setMode] = useState<Mode>('view');
  const [title, setTitle] = useState(c.title);
  const [error, setError] = useState<string | undefined>(undefined);
  const href = `/c/${encodeURIComponent(c.id)}`;

  if (mode === 'rename') {
    return (
      <li className="conversation-item">
        <form
          className="rename-form"
          onSubmit={(e) => {
            e.preventDefault();
            const next = title.trim();
            if (!next) return;
            api(`/api/conversations/${encodeURIComponent(c.id)}`, { method: 'PATCH', body: { title: next } })
              .then(() => {
                props.onRenamed(next);
                setMode('view');
              })
              .catch((err: Error) => setError(err.message));
          }}
        >
          <input
            className="input"
            aria-label={t('rename')}
            value={title}
            maxLength={200}
            // biome-ignore lint/a11y/noAutofocus: focus moves to the field the user just asked to edit
            autoFocus
            onChange={(e) => setTitle(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') setMode('view');
            }}
          />
          <button type="submit" className="icon-button" aria-label={t('save')}>
            ✓
          </button>
          {error ? <span className="form-error">{error}</span> : null}
        </form>
      </li>
    );
  }

  return (
    <li className={`conversation-item${active ? ' active' : ''}`}>
      <a
        className="conversation-link"
        href={href}
        aria-current={active ? 'page' : undefined}
        onClick={(e) => {
          e.preventDefault();
          props.onOpen();
        }}
      >
        <span className="conversation-title">{c.title || t('untitled')}</span>
      </a>
      {mode === 'confirm-delete' ? (
        <span className="confirm">
          <span className="sr-only">{t('confirmDelete')}</span>
          <button
            type="button"
            className="button danger small"
            aria-label={`${t('confirmDelete')} ${t('yes')}`}
            onClick={() => {
              api(`/api/conversations/${encodeURIComponent(c.id)}`, { method: 'DELETE' })
                .then(props.onDeleted)
                .catch((err: Error) => setError(err.message));
            }}
          >
            {t('delete')}
          </button>
          <button type="button" className="button small" onClick={() => setMode('view')}>
            {t('cancel')}
          </button>
        </span>
      ) : (
        <span className="item-actions">
          <button
            type="button"
            className="icon-button"
            aria-label={`${t('rename')}: ${c.title || t('untitled')}`}
            onClick={() => {
              setTitle(c.title);
              setMode('rename');
            }}
          >
            ✎
          </button>
          <button
            type="button"
            className="icon-button"
            aria-label={`${t('delete')}: ${c.title || t('untitled')}`}
            onClick={() => setMode('confirm-delete')}
          >
            ×
          </button>
        </span>
      )}
      {error ? <span className="form-error">{error}</span> : null}
    </li>
  );
}
