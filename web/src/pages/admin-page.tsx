import { useEffect, useState } from 'react';
import { api } from '../api/client.ts';
import type { AdminUpstream, ApiAdminStatus, ApiAdminUser } from '../api/types.ts';
import { useApp } from '../app-context.ts';
import { PageShell } from '../components/page-shell.tsx';
import { useAsync } from '../components/use-async.ts';
import { useT } from '../i18n/index.ts';
import { ModelsSection } from './admin-models.tsx';

function UsersSection() {
  const t = useT();
  const { user: me } = useApp();
  const { data, error, reload } = useAsync(() => api<{ users: ApiAdminUser[] }>('/api/admin/users'));
  const [note, setNote] = useState<string | undefined>(undefined);
  const patch = (id: string, body: Partial<Pick<ApiAdminUser, 'isAdmin' | 'disabled' | 'plan'>>) =>
    api(`/api/admin/users/${encodeURIComponent(id)}`, { method: 'PATCH', body })
      .then(reload)
      .catch((err: Error) => setNote(err.message));
  return (
    <section className="card" aria-labelledby="users-h">
      <h2 id="users-h">{t('users')}</h2>
      {error || note ? <p className="form-error">{error ?? note}</p> : null}
      <div className="table-wrap">
        <table className="table">
          <thead>
            <tr>
              <th>{t('email')}</th>
              <th>{t('plan')}</th>
              <th>{t('status')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data?.users.map((u) => (
              <tr key={u.id}>
                <td>{u.email}</td>
                <td>
                  <input
                    className="input small"
                    aria-label={`${t('plan')}: ${u.email}`}
                    defaultValue={u.plan}
                    onBlur={(e) => {
                      const plan = e.target.value.trim();
                      if (plan && plan !== u.plan) void patch(u.id, { plan });
                    }}
                  />
                </td>
                <td>
                  {u.isAdmin ? t('isAdmin') : ''} {u.disabled ? t('disabled') : ''}
                </td>
                <td>
                  <div className="actions">
                    {u.id === me.id ? null : (
                      <>
                        <button
                          type="button"
                          className="button small"
                          onClick={() => void patch(u.id, { disabled: !u.disabled })}
                        >
                          {u.disabled ? t('enable') : t('disable')}
                        </button>
                        <button
                          type="button"
                          className="button small"
                          onClick={() => void patch(u.id, { isAdmin: !u.isAdmin })}
                        >
                          {u.isAdmin ? t('removeAdmin') : t('makeAdmin')}
                        </button>
                        <DeleteUser id={u.id} email={u.email} onDone={reload} onError={setNote} />
                      </>
                    )}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function DeleteUser(props: { id: string; email: string; onDone: () => void; onError: (m: string) => void }) {
  const t = useT();
  const [confirm, setConfirm] = useState(false);
  if (!confirm) {
    return (
      <button
        type="button"
        className="button small danger"
        aria-label={`${t('delete')}: ${props.email}`}
        onClick={() => setConfirm(true)}
      >
        {t('delete')}
      </button>
    );
  }
  return (
    <>
      <button
        type="button"
        className="button small danger"
        onClick={() => {
          api(`/api/admin/users/${encodeURIComponent(props.id)}`, { method: 'DELETE' })
            .then(props.onDone)
            .catch((err: Error) => props.onError(err.message));
        }}
      >
        {t('yes')}
      </button>
      <button type="button" className="button small" onClick={() => setConfirm(false)}>
        {t('no')}
      </button>
    </>
  );
}

function UpstreamsSection() {
  const t = useT();
  const { data, error } = useAsync(() => api<{ upstreams: AdminUpstream[] }>('/api/admin/upstreams'));
  return (
    <section className="card" aria-labelledby="upstreams-h">
      <h2 id="upstreams-h">{t('upstreams')}</h2>
      {error ? <p className="form-error">{error}</p> : null}
      <ul className="plain-list">
        {data?.upstreams.map((u) => (
          <li key={u.id} className="list-row">
            <span className={`dot ${u.healthy ? 'ok' : 'bad'}`} aria-hidden="true" />
            <span className="grow">
              <strong>{u.id}</strong> <code>{u.baseUrl}</code> — {u.healthy ? t('healthy') : t('unhealthy')},{' '}
              {u.outstanding}/{u.maxConcurrent} · {u.models.join(', ')}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function StatusSection() {
  const t = useT();
  const { data, error, reload } = useAsync(() => api<ApiAdminStatus>('/api/admin/status'));
  useEffect(() => {
    const timer = setInterval(reload, 3000);
    return () => clearInterval(timer);
  }, [reload]);
  return (
    <section className="card" aria-labelledby="status-h">
      <h2 id="status-h">{t('status')}</h2>
      {error ? <p className="form-error">{error}</p> : null}
      {data ? (
        <dl className="stats">
          <dt>{t('slotsBusy')}</dt>
          <dd>
            {data.slotsBusy}/{data.slotsTotal}
          </dd>
          <dt>{t('queueDepth')}</dt>
          <dd>{data.queueDepth}</dd>
          <dt>{t('generationsRunning')}</dt>
          <dd>{data.generationsRunning}</dd>
          <dt>{t('uptime')}</dt>
          <dd>{Math.round(data.uptimeSeconds / 60)} min</dd>
        </dl>
      ) : null}
    </section>
  );
}

export function AdminPage() {
  const t = useT();
  const { user } = useApp();
  if (!user.isAdmin) return null;
  return (
    <PageShell title={t('admin')}>
      <StatusSection />
      <UsersSection />
      <ModelsSection />
      <UpstreamsSection />
    </PageShell>
  );
}
