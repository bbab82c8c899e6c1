import { useState } from 'react';
import { api } from '../api/client.ts';
import type { ApiSession } from '../api/types.ts';
import { useApp } from '../app-context.ts';
import { PasswordMeter } from '../components/password-meter.tsx';
import { useAsync } from '../components/use-async.ts';
import { useT } from '../i18n/index.ts';
import { useFormat } from '../lib/format.ts';

export function PasswordSection() {
  const t = useT();
  const { user } = useApp();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [revokeApiKeys, setRevokeApiKeys] = useState(false);
  const [note, setNote] = useState<string | undefined>(undefined);
  return (
    <section className="card" aria-labelledby="password-h">
      <h2 id="password-h">{t('changePassword')}</h2>
      <form
        className="row-form"
        onSubmit={(e) => {
          e.preventDefault();
          api('/api/auth/password', {
            method: 'POST',
            body: { currentPassword: current, newPassword: next, revokeApiKeys },
          })
            .then(() => {
              setCurrent('');
              setNext('');
              setRevokeApiKeys(false);
              setNote(t('saved'));
            })
            .catch((err: Error) => setNote(err.message));
        }}
      >
        <label className="field">
          <span>{t('currentPassword')}</span>
          <input
            className="input"
            type="password"
            autoComplete="current-password"
            required
            value={current}
            onChange={(e) => setCurrent(e.target.value)}
          />
        </label>
        <label className="field">
          <span>{t('newPassword')}</span>
          <input
            className="input"
            type="password"
            autoComplete="new-password"
            required
            minLength={8}
            value={next}
            onChange={(e) => setNext(e.target.value)}
          />
        </label>
        <PasswordMeter password={next} owner={user} />
        <label className="check">
          <input
            type="checkbox"
            name="revokeApiKeys"
            checked={revokeApiKeys}
            onChange={(e) => setRevokeApiKeys(e.target.checked)}
          />
          <span>{t('alsoRevokeKeys')}</span>
        </label>
        <button type="submit" className="button primary">
          {t('save')}
        </button>
        {note ? <output className="muted">{note}</output> : null}
      </form>
    </section>
  );
}

export function SessionsSection() {
  const t = useT();
  const f = useFormat();
  const { data, error, reload } = useAsync(() => api<{ sessions: ApiSession[] }>('/api/auth/sessions'));
  return (
    <section className="card" aria-labelledby="sessions-h">
      <h2 id="sessions-h">{t('sessions')}</h2>
      {error ? <p className="form-error">{error}</p> : null}
      <ul className="plain-list">
        {data?.sessions.map((s) => (
          <li key={s.id} className="list-row">
            <span className="grow">
              {s.userAgent ?? '?'}
              {s.current ? <strong> ({t('thisDevice')})</strong> : null}
              <br />
              <span className="muted">{t('lastSeen', { time: f.date(s.lastSeenAt) })}</span>
            </span>
            {s.current ? null : (
              <button
                type="button"
                className="button small"
                onClick={() => {
                  api(`/api/auth/sessions/${encodeURIComponent(s.id)}`, { method: 'DELETE' }).then(
                    reload,
                    reload,
                  );
                }}
              >
                {t('revoke')}
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
