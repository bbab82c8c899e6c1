import { useState } from 'react';
import { api } from '../api/client.ts';
import type { ApiKeyCreated, ApiKeySummary, UsageResponse } from '../api/types.ts';
import { useApp } from '../app-context.ts';
import { CopyButton } from '../components/code-block.tsx';
import { QuotaMeter } from '../components/quota-meter.tsx';
import { useAsync } from '../components/use-async.ts';
import { useT } from '../i18n/index.ts';
import { quotaMeter, useFormat } from '../lib/format.ts';
import { navigate } from '../lib/router.ts';

export function UsageSection() {
  const t = useT();
  const f = useFormat();
  const { data, error } = useAsync(() => api<UsageResponse>('/api/usage'));
  const time = data ? f.date(data.resetsAt) : '';
  const rm = data?.reasoningMessages;
  const tok = data?.tokens;
  const rmText =
    rm && rm.limit !== null
      ? t('usageLeft', { left: f.num(quotaMeter(rm.used, rm.limit).left), limit: f.num(rm.limit), time })
      : '';
  return (
    <section className="card" aria-labelledby="usage-h">
      <h2 id="usage-h">{t('usage')}</h2>
      {error ? <p className="form-error">{error}</p> : null}
      {data && rm ? (
        <>
          <p>
            {t('plan')}: <strong>{data.plan}</strong>
          </p>
          {rm.limit === null ? (
            <p>{t('usageUnlimited', { used: f.num(rm.used) })}</p>
          ) : (
            <>
              <p className="usage-text">{rmText}</p>
              <QuotaMeter used={rm.used} limit={rm.limit} label={t('usage')} text={rmText} />
            </>
          )}
          {tok && tok.limit !== null ? (
            <p className="muted">
              {t('tokensLeft', {
                left: f.num(quotaMeter(tok.used, tok.limit).left),
                limit: f.num(tok.limit),
              })}
            </p>
          ) : null}
        </>
      ) : null}
    </section>
  );
}

export function ApiKeysSection() {
  const t = useT();
  const f = useFormat();
  const { data, error, reload } = useAsync(() => api<{ keys: ApiKeySummary[] }>('/api/keys'));
  const [name, setName] = useState('');
  const [created, setCreated] = useState<ApiKeyCreated | undefined>(undefined);
  const [note, setNote] = useState<string | undefined>(undefined);
  return (
    <section className="card" aria-labelledby="keys-h">
      <h2 id="keys-h">{t('apiKeys')}</h2>
      {error ? <p className="form-error">{error}</p> : null}
      <form
        className="row-form"
        onSubmit={(e) => {
          e.preventDefault();
          api<ApiKeyCreated>('/api/keys', { method: 'POST', body: { name: name.trim() } })
            .then((k) => {
              setCreated(k);
              setName('');
              setNote(undefined);
              reload();
            })
            .catch((err: Error) => setNote(err.message));
        }}
      >
        <label className="field">
          <span>{t('keyName')}</span>
          <input
            className="input"
            required
            maxLength={100}
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </label>
        <button type="submit" className="button primary">
          {t('createKey')}
        </button>
        {note ? <span className="form-error">{note}</span> : null}
      </form>
      {created ? (
        <div className="new-key" role="status">
          <p>{t('keyShownOnce')}</p>
          <code className="key-value">{created.key}</code>
          <CopyButton text={created.key} className="button" />
        </div>
      ) : null}
      <ul className="plain-list">
        {data?.keys.map((k) => (
          <li key={k.id} className="list-row">
            <span className="grow">
              <strong>{k.name}</strong> <code>{k.prefix}…</code>
              <br />
              <span className="muted">
                {k.lastUsedAt ? t('lastSeen', { time: f.date(k.lastUsedAt) }) : t('neverUsed')}
              </span>
            </span>
            <button
              type="button"
              className="button small danger"
              onClick={() => {
                // The "copy it now" box of a key that no longer works would only mislead.
                if (created?.id === k.id) setCreated(undefined);
                api(`/api/keys/${encodeURIComponent(k.id)}`, { method: 'DELETE' }).then(reload, reload);
              }}
            >
              {t('revoke')}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function DataSection() {
  const t = useT();
  const { setUser } = useApp();
  const [password, setPassword] = useState('');
  const [note, setNote] = useState<string | undefined>(undefined);
  return (
    <section className="card" aria-labelledby="data-h">
      <h2 id="data-h">{t('data')}</h2>
      {/* A plain same-origin link: the browser downloads with the session cookie, no token in the URL. */}
      <a className="button" href="/api/export" download="ponder-export.json">
        {t('exportAll')}
      </a>
      <form
        className="row-form danger-zone"
        onSubmit={(e) => {
          e.preventDefault();
          api('/api/auth/account', { method: 'DELETE', body: { password } })
            .then(() => {
              setUser(null);
              navigate('/signup', { replace: true });
            })
            .catch((err: Error) => setNote(err.message));
        }}
      >
        <h3>{t('deleteAccount')}</h3>
        <p className="muted">{t('deleteAccountWarning')}</p>
        <label className="field">
          <span>{t('password')}</span>
          <input
            className="input"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <button type="submit" className="button danger">
          {t('deleteAccount')}
        </button>
        {note ? <span className="form-error">{note}</span> : null}
      </form>
    </section>
  );
}
