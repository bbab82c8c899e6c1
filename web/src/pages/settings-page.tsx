import { useState } from 'react';
import { api } from '../api/client.ts';
import type { ApiUser } from '../api/types.ts';
import { useApp } from '../app-context.ts';
import { PageShell } from '../components/page-shell.tsx';
import { LANGS, type Lang, useI18n } from '../i18n/index.ts';
import { setTheme, storedTheme, type ThemeChoice } from '../lib/theme.ts';
import { CollectionsSection } from './settings-collections.tsx';
import { ApiKeysSection, DataSection, UsageSection } from './settings-keys.tsx';
import { PasswordSection, SessionsSection } from './settings-security.tsx';

function ProfileSection() {
  const { t } = useI18n();
  const { user, setUser } = useApp();
  const [name, setName] = useState(user.displayName ?? '');
  const [note, setNote] = useState<string | undefined>(undefined);
  return (
    <section className="card" aria-labelledby="profile-h">
      <h2 id="profile-h">{t('profile')}</h2>
      <p className="muted">{user.email}</p>
      <form
        className="row-form"
        onSubmit={(e) => {
          e.preventDefault();
          api<{ user: ApiUser }>('/api/auth/me', {
            method: 'PATCH',
            body: { displayName: name.trim() || null },
          })
            .then((res) => {
              setUser(res.user);
              setNote(t('saved'));
            })
            .catch((err: Error) => setNote(err.message));
        }}
      >
        <label className="field">
          <span>{t('displayName')}</span>
          <input className="input" value={name} maxLength={100} onChange={(e) => setName(e.target.value)} />
        </label>
        <button type="submit" className="button primary">
          {t('save')}
        </button>
        {note ? <output className="muted">{note}</output> : null}
      </form>
    </section>
  );
}

function AppearanceSection() {
  const { t, lang, setLang } = useI18n();
  const [theme, setThemeState] = useState<ThemeChoice>(storedTheme);
  return (
    <section className="card" aria-labelledby="appearance-h">
      <h2 id="appearance-h">{t('appearance')}</h2>
      <div className="row-form">
        <label className="field">
          <span>{t('theme')}</span>
          <select
            className="select"
            name="theme"
            value={theme}
            onChange={(e) => {
              const choice = e.target.value as ThemeChoice;
              setTheme(choice);
              setThemeState(choice);
            }}
          >
            <option value="system">{t('themeSystem')}</option>
            <option value="light">{t('themeLight')}</option>
            <option value="dark">{t('themeDark')}</option>
          </select>
        </label>
        <label className="field">
          <span>{t('language')}</span>
          <select
            className="select"
            name="language"
            value={lang}
            onChange={(e) => setLang(e.target.value as Lang)}
          >
            {LANGS.map((l) => (
              <option key={l.id} value={l.id}>
                {l.label}
              </option>
            ))}
          </select>
        </label>
      </div>
    </section>
  );
}

export function SettingsPage() {
  const { t } = useI18n();
  return (
    <PageShell title={t('settings')}>
      <ProfileSection />
      <AppearanceSection />
      <UsageSection />
      <CollectionsSection />
      <PasswordSection />
      <SessionsSection />
      <ApiKeysSection />
      <DataSection />
    </PageShell>
  );
}
