import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Effort } from '../api/types.ts';
import { useApp } from '../app-context.ts';
import { useDocumentsChoice } from '../chat/documents-choice.ts';
import { useSearchChoice } from '../chat/search-choice.ts';
import { useToolChoice } from '../chat/tool-choice.ts';
import { useChat } from '../chat/use-chat.ts';
import { ChatErrorBanner } from '../components/chat-error-banner.tsx';
import { Composer } from '../components/composer.tsx';
import { MessageRow } from '../components/message-row.tsx';
import { ModelNotice } from '../components/model-notice.tsx';
import { modelsChanging, useModels } from '../components/use-models.ts';
import { canSearch, toolsFor, useTools } from '../components/use-tools.ts';
import { useT } from '../i18n/index.ts';
import { readPref, writePref } from '../lib/prefs.ts';
import { navigate } from '../lib/router.ts';
import { activePath, indexChildren, siblingInfo } from '../lib/tree.ts';

function useStoredState<T extends string>(key: string, initial: T, valid: (v: string) => v is T) {
  const [value, setValue] = useState<T>(() => {
    const v = readPref(key);
    return v !== null && valid(v) ? v : initial;
  });
  const set = useCallback(
    (v: T) => {
      writePref(key, v);
      setValue(v);
    },
    [key],
  );
  return [value, set] as const;
}

const isEffort = (v: string): v is Effort => v === 'low' || v === 'medium' || v === 'high';
const isBool = (v: string): v is 'on' | 'off' => v === 'on' || v === 'off';
const isAny = (v: string): v is string => v.length > 0;
const MODELS_POLL_MS = 3000;

export function ChatPage({ conversationId }: { conversationId: string | undefined }) {
  const t = useT();
  const { refreshConversations, openDrawer } = useApp();
  const [deepThink, setDeepThink] = useStoredState<'on' | 'off'>('deepThink', 'on', isBool);
  const [effort, setEffort] = useStoredState<Effort>('effort', 'medium', isEffort);
  const [model, setModel] = useStoredState<string>('model', '', isAny);
  // Tools: offered when the model can call them; the choice is per conversation, none by default.
  const models = useModels((res) => (modelsChanging(res) ? MODELS_POLL_MS : undefined));
  const toolList = useTools();
  const offeredTools = useMemo(
    () => toolsFor(models, model || undefined, toolList),
    [models, model, toolList],
  );
  const [toolChoice, setToolChoice, adoptToolChoice] = useToolChoice(conversationId);
  const tools = toolChoice.filter((name) => offeredTools.some((tool) => tool.name === name));
  // Search first: offered when the server can search; on or off per conversation, off by default.
  const searchOffered = canSearch(toolList);
  const [searchChoice, setSearchChoice, adoptSearchChoice] = useSearchChoice(conversationId);
  const search = searchOffered && searchChoice;
  // Documents: attached files, chosen collections, read whole (issue 13).
  const docs = useDocumentsChoice(conversationId);
  const documents = docs.turn;
  const settingsRef = useRef({ deepThink, effort, model, tools, search, documents });
  settingsRef.current = { deepThink, effort, model, tools, search, documents };

  const chat = useChat({
    conversationId,
    onCreated: (id) => {
      adoptToolChoice(id);
      adoptSearchChoice(id);
      navigate(`/c/${encodeURIComponent(id)}`, { replace: !conversationId });
      refreshConversations();
    },
    onChanged: refreshConversations,
    settings: () => {
      const s = settingsRef.current;
      return {
        model: s.model || undefined,
        thinking: s.deepThink === 'on' ? { enabled: true, effort: s.effort } : { enabled: false },
        ...(s.tools.length > 0 ? { tools: s.tools } : {}),
        ...(s.search ? { search: true } : {}),
        ...(s.documents() ? { documents: s.documents() } : {}),
      };
    },
  });
  const { state } = chat;

  // The tree index changes only when messages are added or removed, not on every streamed token.
  // biome-ignore lint/correctness/useExhaustiveDependencies: `structure` versions the message set
  const children = useMemo(() => indexChildren(state.messages.values()), [state.structure]);
  const path = useMemo(() => activePath(children, state.selection), [children, state.selection]);

  const scroller = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const [atBottom, setAtBottom] = useState(true);
  const lastId = path.at(-1);
  const last = lastId ? state.messages.get(lastId) : undefined;
  // Follow the stream only while the reader is at the bottom; scrolling up to read stops it.
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-run when the last message grows
  useEffect(() => {
    const el = scroller.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [last?.content, last?.reasoning, last?.toolSteps, path.length]);

  useEffect(() => {
    document.title = state.title ? `${state.title} — Ponder` : 'Ponder';
  }, [state.title]);

  return (
    <main className="chat" aria-busy={state.loading}>
      <header className="chat-header">
        <button
          type="button"
          className="icon-button menu-button"
          aria-label={t('openMenu')}
          onClick={openDrawer}
        >
          ☰
        </button>
        <h1 className="chat-title">{state.title || t('appName')}</h1>
        {state.conversationId && !state.conversationId.startsWith('temp-') ? (
          <span className="chat-export">
            <a
              className="icon-button"
              href={`/api/conversations/${encodeURIComponent(state.conversationId)}/export?format=markdown`}
              download
              aria-label={t('exportMarkdown')}
              title={t('exportMarkdown')}
            >
              MD
            </a>
            <a
              className="icon-button"
              href={`/api/conversations/${encodeURIComponent(state.conversationId)}/export?format=json`}
              download
              aria-label={t('exportJson')}
              title={t('exportJson')}
            >
              JSON
            </a>
          </span>
        ) : null}
      </header>
      <div
        className="messages"
        ref={scroller}
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
          if (stick.current !== atBottom) setAtBottom(stick.current);
        }}
      >
        <div className="messages-inner">
          {state.loading ? <p className="empty">{t('loading')}</p> : null}
          {!state.loading && path.length === 0 ? <ModelNotice chosen={model || undefined} /> : null}
          {!state.loading && path.length === 0 && !state.error ? (
            <p className="empty">{t('emptyChat')}</p>
          ) : null}
          {path.map((id) => {
            const m = state.messages.get(id);
            if (!m) return null;
            const sib = siblingInfo(children, id, m.parentId);
            return (
              <MessageRow
                key={id}
                message={m}
                siblingIndex={sib.index}
                siblingCount={sib.count}
                prevSibling={sib.prev}
                nextSibling={sib.next}
                busy={state.busy}
                queued={id === state.streamingId ? state.queued : undefined}
                onSelect={chat.select}
                onEdit={chat.edit}
                onRegenerate={chat.regenerate}
                onContinue={chat.continueMessage}
                thinking={id === state.streamingId ? state.thinking : undefined}
                onAnswerNow={chat.answerNow}
                onConfirmTool={chat.confirmTool}
              />
            );
          })}
        </div>
      </div>
      {atBottom ? null : (
        <button
          type="button"
          className="button scroll-bottom"
          aria-label={t('scrollToBottom')}
          onClick={() => {
            const el = scroller.current;
            if (el) el.scrollTo({ top: el.scrollHeight, behavior: 'smooth' });
          }}
        >
          ↓
        </button>
      )}
      {state.reconnecting ? (
        <p className="reconnecting" role="status">
          {t('reconnecting')}
        </p>
      ) : null}
      {state.error ? (
        <ChatErrorBanner error={state.error} onRetry={chat.retry} onDismiss={chat.dismissError} />
      ) : null}
      <Composer
        busy={state.busy}
        onSend={chat.send}
        onStop={() => void chat.stop()}
        deepThink={deepThink === 'on'}
        onDeepThink={(on) => setDeepThink(on ? 'on' : 'off')}
        effort={effort}
        onEffort={setEffort}
        model={model || undefined}
        onModel={setModel}
        tools={offeredTools}
        selectedTools={toolChoice}
        onTools={setToolChoice}
        searchOffered={searchOffered}
        search={search}
        onSearch={setSearchChoice}
        {...(docs.composer ? { documents: docs.composer } : {})}
      />
    </main>
  );
}
