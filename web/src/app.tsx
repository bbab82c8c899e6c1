import { type ReactNode, useCallback, useEffect, useMemo, useState } from 'react';
import { api, setUnauthenticatedHandler } from './api/client.ts';
import type { ApiUser } from './api/types.ts';
import { AppContext, type AppContextValue } from './app-context.ts';
import { Sidebar } from './components/sidebar.tsx';
import { detectLang, I18nContext, type Lang, translator } from './i18n/index.ts';
import { readPref, writePref } from './lib/prefs.ts';
import { navigate, parseRoute, usePath } from './lib/router.ts';
import { AdminPage } from './pages/admin-page.tsx';
import { ArenaPage } from './pages/arena-page.tsx';
import { AuthPage } from './pages/auth-page.tsx';
import { ChatPage } from './pages/chat-page.tsx';
import { SettingsPage } from './pages/settings-page.tsx';

function initialLang(): Lang {
  const stored = readPref('lang');
  if (stored === 'en' || stored === 'fr' || stored === 'zh') return stored;
  return detectLang(navigator.languages?.length ? navigator.languages : [navigator.language]);
}

function useLang() {
  const [lang, setLangState] = useState<Lang>(initialLang);
  useEffect(() => {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : lang;
  }, [lang]);
  return useMemo(
    () => ({
      lang,
      t: translator(lang),
      setLang: (l: Lang) => {
        writePref('lang', l);
        setLangState(l);
      },
    }),
    [lang],
  );
}

export function App() {
  const i18n = useLang();
  const path = usePath();
  const route = parseRoute(path);
  const [user, setUser] = useState<ApiUser | null | undefined>(undefined);
  const [version, setVersion] = useState(0);
  const [drawer, setDrawer] = useState(false);

  useEffect(() => {
    setUnauthenticatedHandler(() => setUser(null));
    api<{ user: ApiUser }>('/api/auth/me')
      .then((res) => setUser(res.user))
      .catch(() => setUser(null));
    return () => setUnauthenticatedHandler(undefined);
  }, []);

  // Signed out: only the auth pages; signed in: the auth pages lead home.
  useEffect(() => {
    if (user === null && route.page !== 'login' && route.page !== 'signup')
      navigate('/login', { replace: true });
    if (user && (route.page === 'login' || route.page === 'signup')) navigate('/', { replace: true });
  }, [user, route.page]);

  const refreshConversations = useCallback(() => setVersion((v) => v + 1), []);
  const openDrawer = useCallback(() => setDrawer(true), []);
  const ctx = useMemo<AppContextValue | null>(
    () => (user ? { user, setUser, refreshConversations, conversationsVersion: version, openDrawer } : null),
    [user, version, refreshConversations, openDrawer],
  );

  let body: ReactNode;
  if (user === undefined) {
    body = <p className="splash">{i18n.t('loading')}</p>;
  } else if (!ctx) {
    body = <AuthPage mode={route.page === 'signup' ? 'signup' : 'login'} onUser={setUser} />;
  } else {
    let page: ReactNode;
    switch (route.page) {
      case 'settings':
        page = <SettingsPage />;
        break;
      case 'admin':
        page = <AdminPage />;
        break;
      case 'arena':
        page = <ArenaPage battleId={route.battleId} />;
        break;
      case 'chat':
        page = <ChatPage conversationId={route.conversationId} />;
        break;
      case 'login':
      case 'signup':
        page = null;
        break;
      default:
        route satisfies never;
    }
    body = (
      <AppContext.Provider value={ctx}>
        <div className="layout">
          <Sidebar
            activeId={route.page === 'chat' ? route.conversationId : undefined}
            open={drawer}
            onClose={() => setDrawer(false)}
          />
          {page}
        </div>
      </AppContext.Provider>
    );
  }
  return <I18nContext.Provider value={i18n}>{body}</I18nContext.Provider>;
}
