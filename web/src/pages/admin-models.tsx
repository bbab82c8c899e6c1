/**
 * Admin → Models: files in the models folder with their state, background pulls with progress, and
 * removal behind a confirmation. A failed pull shows under the source the admin typed, with the reason,
 * and can be dismissed; a model that cannot be removed here (given with `--model`, an upstream's) says
 * why instead of offering a button that fails.
 */
import { useEffect, useState } from 'react';
import { api } from '../api/client.ts';
import type { AdminModel } from '../api/types.ts';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { modelStateLabel } from '../components/model-picker.tsx';
import { useAsync } from '../components/use-async.ts';
import { useI18n } from '../i18n/index.ts';
import { useFormat } from '../lib/format.ts';

/** What the row offers: dismiss/cancel a pull, remove a file from the models folder, or nothing. */
function removalOf(m: AdminModel): 'pull' | 'file' | 'none' {
  if (m.pullId) return 'pull';
  // Only files in the models folder have a size and a path; `--model` files and upstream models do not.
  return m.provider === 'embedded' && m.sizeBytes !== undefined ? 'file' : 'none';
}

export function ModelsSection() {
  const { t, lang } = useI18n();
  const f = useFormat();
  const { data, error, reload } = useAsync(() => api<{ models: AdminModel[] }>('/api/admin/models'));
  const [source, setSource] = useState('');
  const [note, setNote] = useState<string | undefined>(undefined);
  const pulling = data?.models.some((m) => m.state === 'downloading' || m.state === 'loading') ?? false;
  // Poll while a pull is in progress: the server reports progress in the list.
  useEffect(() => {
    if (!pulling) return;
    const timer = setInterval(reload, 1500);
    return () => clearInterval(timer);
  }, [pulling, reload]);
  const act = (path: string) =>
    api(path, { method: 'DELETE' })
      .then(() => {
        setNote(undefined);
        reload();
      })
      .catch((err: Error) => setNote(err.message));
  return (
    <section className="card" aria-labelledby="models-h">
      <h2 id="models-h">{t('models')}</h2>
      {error || note ? (
        <p className="form-error" role="alert">
          {error ?? note}
        </p>
      ) : null}
      <form
        className="row-form"
        onSubmit={(e) => {
          e.preventDefault();
          api('/api/admin/models/pull', { method: 'POST', body: { source: source.trim() } })
            .then(() => {
              setSource('');
              setNote(undefined);
              reload();
            })
            .catch((err: Error) => setNote(err.message));
        }}
      >
        <label className="field grow">
          <span>{t('modelSource')}</span>
          <input className="input" required value={source} onChange={(e) => setSource(e.target.value)} />
        </label>
        <button type="submit" className="button primary">
          {t('pullModel')}
        </button>
      </form>
      <ul className="plain-list">
        {data?.models.map((m) => {
          const removal = removalOf(m);
          const title = m.source ?? m.id;
          return (
            <li key={m.pullId ?? m.id} className="list-row" data-model={m.id}>
              <span className="grow">
                <strong>{title}</strong> <span className="muted">({m.provider})</span> —{' '}
                {modelStateLabel(m, t, lang)} {m.sizeBytes === undefined ? '' : f.bytes(m.sizeBytes)}
                {m.state === 'downloading' ? (
                  <progress className="meter" max={1} value={Math.min(1, m.downloadProgress ?? 0)} />
                ) : null}
                {m.detail ? <span className="muted"> {m.detail}</span> : null}
                {removal === 'none' && m.provider === 'embedded' ? (
                  <span className="muted"> {t('modelNotRemovable')}</span>
                ) : null}
              </span>
              {removal === 'file' ? (
                <ConfirmButton
                  label={t('remove')}
                  ariaLabel={`${t('remove')}: ${m.id}`}
                  question={t('confirmRemoveModel')}
                  onConfirm={() => void act(`/api/admin/models/${encodeURIComponent(m.id)}`)}
                />
              ) : null}
              {removal === 'pull' ? (
                <button
                  type="button"
                  className="button small"
                  aria-label={`${m.state === 'downloading' ? t('cancelPull') : t('dismiss')}: ${title}`}
                  onClick={() => void act(`/api/admin/models/pulls/${encodeURIComponent(m.pullId ?? '')}`)}
                >
                  {m.state === 'downloading' ? t('cancelPull') : t('dismiss')}
                </button>
              ) : null}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
