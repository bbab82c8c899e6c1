import { useEffect, useState } from 'react';
import { api } from '../api/client.ts';
import type { AdminUpstream, ApiAdminStatus, ApiAdminUser, ApiAdminUserList } from '../api/types.ts';
import { useApp } from '../app-context.ts';
import { PageShell } from '../components/page-shell.tsx';
import { useAsync } from '../components/use-async.ts';
import { useT } from '../i18n/index.ts';
import { useFormat } from '../lib/format.ts';
import { ArenaLeaderboardSection } from './admin-arena.tsx';
import { EvalSection } from './admin-eval.tsx'; // ponder eval (issue 15)
import { ModelsSection } from './admin-models.tsx';

function UsersSection() {
  const t = useT();
  const { user: me } = useApp();
  const { data, error, reload } = useAsync(() => api<ApiAdminUserList>('/api/admin/users'));
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
                <td data-label={t('email')}>{u.email}</td>
                <td data-label={t('plan')}>
                  <PlanSelect
                    email={u.email}
                    plan={u.plan}
                    plans={data.plans}
                    onChange={(plan) => void patch(u.id, { plan })}
                  />
                </td>
                <td data-label={t('status')}>
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

/**
 * Only the configured plans can be chosen (a typo used to stay in a free-text box after the server refused
 * it); a plan no longer configured still shows, marked, until the admin picks another.
 */
function PlanSelect(props: {
  email: string;
  plan: string;
  plans: string[];
  onChange: (plan: string) => void;
}) {
  const t = useT();
  const known = props.plans.includes(props.plan);
  return (
    <select
      className="select small"
      aria-label={`${t('plan')}: ${props.email}`}
      value={props.plan}
      onChange={(e) => {
        if (e.target.value !== props.plan) props.onChange(e.target.value);
      }}
    >
      {known ? null : (
        <option value={props.plan} disabled>
          {t('planNotConfigured', { plan: props.plan })}
        </option>
      )}
      {props.plans.map((p) => (
        <option key={p} value={p}>
          {p}
        </option>
      ))}
    </select>
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

const UPSTREAM_EXAMPLE = `{
  "upstreams": [
    { "id": "vllm-1", "baseUrl": "http://10.0.0.5:8000/v1" }
  ]
}`;

function UpstreamsSection() {
  const t = useT();
  const { data, error } = useAsync(() => api<{ upstreams: AdminUpstream[] }>('/api/admin/upstreams'));
  return (
    <section className="card" aria-labelledby="upstreams-h">
      <h2 id="upstreams-h">{t('upstreams')}</h2>
      {error ? <p className="form-error">{error}</p> : null}
      {data && data.upstreams.length === 0 ? (
        <div className="empty-state">
          <p>{t('noUpstreams')}</p>
          <p className="muted">{t('noUpstreamsHelp')}</p>
          <pre className="config-example">
            <code>{UPSTREAM_EXAMPLE}</code>
          </pre>
        </div>
      ) : null}
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
  const f = useFormat();
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
            {f.num(data.slotsBusy)}/{f.num(data.slotsTotal)}
          </dd>
          <dt>{t('queueDepth')}</dt>
          <dd>{f.num(data.queueDepth)}</dd>
          <dt>{t('generationsRunning')}</dt>
          <dd>{f.num(data.generationsRunning)}</dd>
          <dt>{t('uptime')}</dt>
          <dd>{f.num(Math.round(data.uptimeSeconds / 60))} min</dd>
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
      <ArenaLeaderboardSection />
      <EvalSection />
    </PageShell>
  );
}
