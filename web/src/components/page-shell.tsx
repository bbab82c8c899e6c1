import type { ReactNode } from 'react';
import { useApp } from '../app-context.ts';
import { useT } from '../i18n/index.ts';
import { navigate } from '../lib/router.ts';

/** The frame of a full page (settings, admin): menu button for the phone drawer, title, back to chat. */
export function PageShell(props: { title: string; children: ReactNode }) {
  const t = useT();
  const { openDrawer } = useApp();
  return (
    <main className="page">
      <header className="page-header">
        <button
          type="button"
          className="icon-button menu-button"
          aria-label={t('openMenu')}
          onClick={openDrawer}
        >
          ☰
        </button>
        <h1>{props.title}</h1>
        <button type="button" className="button" onClick={() => navigate('/')}>
          {t('back')}
        </button>
      </header>
      <div className="page-body">{props.children}</div>
    </main>
  );
}
