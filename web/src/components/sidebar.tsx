import { useEffect, useState } from 'react';
import { api } from '../api/client.ts';
import type { ConversationList, ConversationSummary, SearchResponse } from '../api/types.ts';
import { useApp } from '../app-context.ts';
import { type Translate, useT } from '../i18n/index.ts';
import { type DateGroup, groupByDate } from '../lib/date-groups.ts';
import { navigate } from '../lib/router.ts';
import { ConversationItem } from './conversation-item.tsx';

function groupLabel(g: DateGroup, t: Translate): string {
  switch (g) {
    case 'today':
      return t('today');
    case 'yesterday':
      return t('yesterday');
    case 'previous7':
      return t('previous7');
    case 'older':
      return t('older');
    default:
      g satisfies never;
      return '';
  }
}

function useConversations(version: number) {
  const [items, setItems] = useState<ConversationSummary[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is the reload trigger
  useEffect(() => {
    const ac = new AbortController();
    api<ConversationList>('/api/conversations?limit=50', { signal: ac.signal })
      .then((res) => {
        setItems(res.conversations);
        setCursor(res.nextCursor);
      })
      .catch(() => undefined);
    return () => ac.abort();
  }, [version]);
  const loadMore = async () => {
    if (!cursor) return;
    const res = await api<ConversationList>(
      `/api/conversations?limit=50&cursor=${encodeURIComponent(cursor)}`,
    );
    setItems((prev) => [...prev, ...res.conversations.filter((c) => !prev.some((p) => p.id === c.id))]);
    setCursor(res.nextCursor);
  };
  return { items, setItems, cursor, loadMore };
}

function useSearch(query: string) {
  const [results, setResults] = useState<SearchResponse['results'] | undefined>(undefined);
  useEffect(() => {
    const q = query.trim();
    if (!q) {
      setResults(undefined);
      return;
    }
    const ac = new AbortController();
    const timer = setTimeout(() => {
      api<SearchResponse>(`/api/conversations/search?q=${encodeURIComponent(q)}`, { signal: ac.signal })
        .then((res) => setResults(res.results))
        .catch(() => undefined);
    }, 250);
    return () => {
      clearTimeout(timer);
      ac.abort();
    };
  }, [query]);
  return results;
}

export function Sidebar({
  activeId,
  open,
  onClose,
}: {
  activeId?: string;
  open: boolean;
  onClose: () => void;
}) {
  const t = useT();
  const { user, setUser, conversationsVersion } = useApp();
  const { items, setItems, cursor, loadMore } = useConversations(conversationsVersion);
  const [query, setQuery] = useState('');
  const results = useSearch(query);
  // The drawer (phone layout) closes with Escape, like any dialog.
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [open, onClose]);
  const go = (path: string) => {
    navigate(path);
    onClose();
  };
  const logout = async () => {
    await api('/api/auth/logout', { method: 'POST', body: {} }).catch(() => undefined);
    setUser(null);
    navigate('/login', { replace: true });
  };

  return (
    <>
      {open ? <div className="drawer-backdrop" onClick={onClose} aria-hidden="true" /> : null}
      <nav className={`sidebar${open ? ' sidebar-open' : ''}`} aria-label={t('appName')}>
        <div className="sidebar-top">
          <button type="button" className="button primary new-chat" onClick={() => go('/')}>
            + {t('newChat')}
          </button>
          <button
            type="button"
            className="icon-button close-drawer"
            aria-label={t('closeMenu')}
            onClick={onClose}
          >
            ✕
          </button>
        </div>
        {/* The arena (issue 15): here rather than in the links below, which must fit one row. */}
        <button type="button" className="button small sidebar-arena" onClick={() => go('/arena')}>
          {t('arena')}
        </button>
        <input
          type="search"
          className="input search"
          aria-label={t('search')}
          // The full wording is the label; a short placeholder fits the narrow field in every language.
          placeholder={t('searchShort')}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
        <div className="conversation-list">
          {results ? (
            <section aria-label={t('searchResults')}>
              <h2 className="group-title">{t('searchResults')}</h2>
              {results.length === 0 ? <p className="muted">{t('noResults')}</p> : null}
              <ul>
                {results.map((r) => (
                  <li key={`${r.conversationId}:${r.messageId ?? ''}`}>
                    <a
                      className="search-result"
                      href={`/c/${encodeURIComponent(r.conversationId)}`}
                      onClick={(e) => {
                        e.preventDefault();
                        go(`/c/${encodeURIComponent(r.conversationId)}`);
                      }}
                    >
                      <span className="conversation-title">{r.title || t('untitled')}</span>
                      <span className="snippet">{r.snippet}</span>
                    </a>
                  </li>
                ))}
              </ul>
            </section>
          ) : (
            groupByDate(items, new Date()).map(({ group, items: list }) => (
              <section key={group} aria-label={groupLabel(group, t)}>
                <h2 className="group-title">{groupLabel(group, t)}</h2>
                <ul>
                  {list.map((c) => (
                    <ConversationItem
                      key={c.id}
                      conversation={c}
                      active={c.id === activeId}
                      onOpen={() => go(`/c/${encodeURIComponent(c.id)}`)}
                      onRenamed={(title) =>
                        setItems((prev) => prev.map((p) => (p.id === c.id ? { ...p, title } : p)))
                      }
                      onDeleted={() => {
                        setItems((prev) => prev.filter((p) => p.id !== c.id));
                        if (c.id === activeId) navigate('/', { replace: true });
                      }}
                    />
                  ))}
                </ul>
              </section>
            ))
          )}
          {!results && cursor ? (
            <button
              type="button"
              className="button load-more"
              aria-label={t('loadMore')}
              onClick={() => void loadMore()}
            >
              {t('loadMore')}
            </button>
          ) : null}
        </div>
        <div className="sidebar-bottom">
          {/* Log out sits beside the name it ends, so the links below fit on one row in every language. */}
          <div className="sidebar-user">
            <span className="user-email" title={user.email}>
              {user.displayName || user.email}
            </span>
            <button type="button" className="button small" onClick={() => void logout()}>
              {t('signOut')}
            </button>
          </div>
          <div className="sidebar-links">
            <button type="button" className="button small" onClick={() => go('/settings')}>
              {t('settings')}
            </button>
            {user.isAdmin ? (
              <button type="button" className="button small" onClick={() => go('/admin')}>
                {t('admin')}
              </button>
            ) : null}
          </div>
        </div>
      </nav>
    </>
  );
}
