/**
 * Admin → Evaluations (`ponder eval` on the web): start a run of a suite against models at one or
 * several thinking budgets, watch its progress (polled while a run is active), stop, resume or delete
 * it, and see its results — accuracy ± SE, cons@k, the budget curve (SVG from the server) and the
 * reports to download. Server-side file suites are for the CLI.
 */
import { useEffect, useState } from 'react';
import { api } from '../api/client.ts';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { useAsync } from '../components/use-async.ts';
import type { MessageKey } from '../i18n/en.ts';
import { useT } from '../i18n/index.ts';

interface EvalRunView {
  id: string;
  name: string;
  status: 'running' | 'stopped' | 'done' | 'failed';
  error: string | null;
  done: number;
  total: number;
  active: boolean;
}

interface Estimate {
  mean: number;
  se: number | null;
}

interface VariantView {
  variant: string;
  model: string;
  budget: string;
  samples: number;
  pass1: Estimate;
  cons: Estimate | null;
  cutOff: number;
  emptyReasoning: number;
  meanReasoningTokens: number;
  meanAnswerTokens: number;
  meanTtftMs: number | null;
  tokensPerSecond: number | null;
  reported: Array<{
    figure: { metric: string; value: number; source: string };
    measured: number;
    distanceSe: number | null;
  }>;
}

const GENERATED = ['arithmetic', 'units', 'dates', 'logic'];
const STATUS = {
  running: 'evalStatusRunning',
  stopped: 'evalStatusStopped',
  done: 'evalStatusDone',
  failed: 'evalStatusFailed',
} as const satisfies Record<EvalRunView['status'], MessageKey>;
const STANDARD = ['gsm8k', 'math500', 'aime2024', 'aime2025'];

const pct = (e: Estimate) =>
  `${(e.mean * 100).toFixed(1)}${e.se === null ? '' : ` ± ${(e.se * 100).toFixed(1)}`}`;

/** A labelled whole-number input of the start form. */
function NumberField(props: {
  label: string;
  min: number;
  max?: number;
  value: number;
  onChange: (value: number) => void;
}) {
  return (
    <label className="field">
      <span>{props.label}</span>
      <input
        className="input"
        type="number"
        min={props.min}
        max={props.max}
        value={props.value}
        onChange={(e) => props.onChange(Number(e.target.value))}
      />
    </label>
  );
}

function StartForm(props: { onStarted: () => void }) {
  const t = useT();
  const models = useAsync(() => api<{ models: Array<{ id: string }> }>('/api/models'));
  const [suite, setSuite] = useState('arithmetic');
  const [count, setCount] = useState(30);
  const [seed, setSeed] = useState(1);
  const [download, setDownload] = useState(false);
  const [picked, setPicked] = useState<string[]>([]);
  const [k, setK] = useState(1);
  const [budgets, setBudgets] = useState('default');
  const [maxTokens, setMaxTokens] = useState(32768);
  const [note, setNote] = useState<string | undefined>(undefined);
  const generated = GENERATED.includes(suite);
  const first = models.data?.models[0]?.id;
  // Several models run side by side (one table row and one curve each); the first served by default.
  const chosen = picked.length > 0 ? picked : first ? [first] : [];
  return (
    <form
      className="row-form"
      onSubmit={(e) => {
        e.preventDefault();
        api('/api/admin/eval/runs', {
          method: 'POST',
          body: {
            suite: generated
              ? { type: 'generated', name: suite, seed, count }
              : { type: 'standard', name: suite, ...(download ? { download: true } : {}) },
            models: chosen,
            budgets: budgets
              .split(',')
              .map((b) => b.trim())
              .filter(Boolean),
            k,
            maxTokens,
          },
        })
          .then(() => {
            setNote(undefined);
            props.onStarted();
          })
          .catch((err: Error) => setNote(err.message));
      }}
    >
      {note ? (
        <p className="form-error" role="alert">
          {note}
        </p>
      ) : null}
      <label className="field">
        <span>{t('evalSuite')}</span>
        <select className="select" value={suite} onChange={(e) => setSuite(e.target.value)}>
          {[...GENERATED, ...STANDARD].map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      {generated ? (
        <>
          <NumberField label={t('evalCount')} min={1} max={10000} value={count} onChange={setCount} />
          <NumberField label={t('evalSeed')} min={0} value={seed} onChange={setSeed} />
        </>
      ) : (
        <label className="field checkbox">
          <input type="checkbox" checked={download} onChange={(e) => setDownload(e.target.checked)} />
          <span>{t('evalDownload')}</span>
        </label>
      )}
      <label className="field">
        <span>{t('evalModel')}</span>
        <select
          className="select"
          multiple
          size={Math.min(4, Math.max(2, models.data?.models.length ?? 2))}
          value={chosen}
          onChange={(e) => setPicked([...e.target.selectedOptions].map((o) => o.value))}
        >
          {models.data?.models.map((m) => (
            <option key={m.id} value={m.id}>
              {m.id}
            </option>
          ))}
        </select>
      </label>
      <NumberField label={t('evalK')} min={1} max={256} value={k} onChange={setK} />
      <label className="field">
        <span>{t('evalBudgets')}</span>
        <input className="input" value={budgets} onChange={(e) => setBudgets(e.target.value)} />
      </label>
      <NumberField label={t('evalMaxTokens')} min={1} value={maxTokens} onChange={setMaxTokens} />
      <button type="submit" className="button primary" disabled={chosen.length === 0}>
        {t('evalStart')}
      </button>
    </form>
  );
}

function Results(props: { id: string; version: number; active: boolean }) {
  const t = useT();
  const { data, error } = useAsync(
    () =>
      api<{ summary: { variants: VariantView[] } }>(`/api/admin/eval/runs/${encodeURIComponent(props.id)}`),
    [props.id, props.version],
  );
  if (error) return <p className="form-error">{error}</p>;
  if (!data) return null;
  const base = `/api/admin/eval/runs/${encodeURIComponent(props.id)}`;
  return (
    <div className="eval-results">
      <div className="table-wrap">
        <table className="table">
          <thead>
            <tr>
              <th>{t('evalModel')}</th>
              <th>{t('evalBudget')}</th>
              <th>{t('evalSamplesShort')}</th>
              <th>{t('evalAccuracy')}</th>
              <th>cons@k</th>
              <th>{t('evalCutOff')}</th>
              <th>{t('evalEmptyReasoning')}</th>
              <th>{t('evalReasoningTokens')}</th>
              <th>{t('evalAnswerTokens')}</th>
              <th>{t('evalTtft')}</th>
              <th>{t('evalTokensPerSecond')}</th>
            </tr>
          </thead>
          <tbody>
            {data.summary.variants.map((v) => (
              <tr key={v.variant}>
                <td>{v.model}</td>
                <td>{v.budget}</td>
                <td>{v.samples}</td>
                <td>{pct(v.pass1)}</td>
                <td>{v.cons ? pct(v.cons) : '–'}</td>
                <td>{v.cutOff}</td>
                <td>{v.emptyReasoning}</td>
                <td>{v.meanReasoningTokens.toFixed(0)}</td>
                <td>{v.meanAnswerTokens.toFixed(0)}</td>
                <td>{v.meanTtftMs === null ? '–' : v.meanTtftMs.toFixed(0)}</td>
                <td>{v.tokensPerSecond === null ? '–' : v.tokensPerSecond.toFixed(1)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ul>
        {data.summary.variants.flatMap((v) =>
          v.reported.map((r) => (
            <li key={`${v.variant}-${r.figure.source}-${r.figure.metric}`}>
              {v.model} [{v.budget}] {r.figure.metric}: {r.measured.toFixed(1)} vs {r.figure.value} (
              {r.figure.source}){r.distanceSe === null ? '' : ` → ${r.distanceSe.toFixed(1)} SE`}
            </li>
          )),
        )}
      </ul>
      {/* The curves once the run has stopped changing (served with no-store, fetched again on a new view). */}
      {props.active ? null : (
        <>
          <p>{t('evalCurve')}</p>
          <div className="row-form">
            <img src={`${base}/curve.svg?x=tokens`} alt={t('evalCurve')} />
            <img src={`${base}/curve.svg?x=seconds`} alt={t('evalCurve')} />
          </div>
        </>
      )}
      <p className="actions">
        <a className="button small" href={`${base}/report?format=html`} download>
          {t('evalReportHtml')}
        </a>
        <a className="button small" href={`${base}/report?format=markdown`} download>
          {t('evalReportMarkdown')}
        </a>
      </p>
    </div>
  );
}

export function EvalSection() {
  const t = useT();
  const { data, error, reload } = useAsync(() => api<{ runs: EvalRunView[] }>('/api/admin/eval/runs'));
  const [open, setOpen] = useState<string | undefined>(undefined);
  const [version, setVersion] = useState(0);
  const [note, setNote] = useState<string | undefined>(undefined);
  const active = data?.runs.some((r) => r.active) ?? false;
  // Poll while a run is active: progress is in the list.
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => {
      reload();
      setVersion((v) => v + 1);
    }, 2000);
    return () => clearInterval(timer);
  }, [active, reload]);
  const act = (id: string, action: 'stop' | 'resume' | 'delete') =>
    api(`/api/admin/eval/runs/${encodeURIComponent(id)}${action === 'delete' ? '' : `/${action}`}`, {
      method: action === 'delete' ? 'DELETE' : 'POST',
    })
      .then(() => {
        setNote(undefined);
        reload();
      })
      .catch((err: Error) => setNote(err.message));
  return (
    <section className="card" aria-labelledby="eval-h">
      <h2 id="eval-h">{t('evalTitle')}</h2>
      <p className="muted">{t('evalIntro')}</p>
      <StartForm onStarted={reload} />
      {error || note ? (
        <p className="form-error" role="alert">
          {error ?? note}
        </p>
      ) : null}
      <h3>{t('evalRuns')}</h3>
      {data && data.runs.length === 0 ? <p className="muted">{t('evalNoRuns')}</p> : null}
      <ul className="plain-list">
        {data?.runs.map((r) => (
          <li key={r.id}>
            <div className="eval-run-head">
              <strong>{r.name}</strong> <span className="muted">{t(STATUS[r.status])}</span>{' '}
              <progress max={r.total} value={r.done} aria-label={`${t('evalProgress')}: ${r.name}`} />{' '}
              {r.done}/{r.total}
              {r.error ? <span className="form-error"> {r.error}</span> : null}
            </div>
            <div className="actions">
              {r.active ? (
                <button type="button" className="button small" onClick={() => void act(r.id, 'stop')}>
                  {t('evalStop')}
                </button>
              ) : r.status !== 'done' ? (
                <button type="button" className="button small" onClick={() => void act(r.id, 'resume')}>
                  {t('evalResume')}
                </button>
              ) : null}
              <button
                type="button"
                className="button small"
                onClick={() => setOpen(open === r.id ? undefined : r.id)}
              >
                {t('evalDetails')}
              </button>
              {r.active ? null : (
                <ConfirmButton
                  label={t('evalDelete')}
                  ariaLabel={`${t('evalDelete')}: ${r.name}`}
                  question={`${t('evalDelete')}?`}
                  onConfirm={() => void act(r.id, 'delete')}
                />
              )}
            </div>
            {open === r.id ? <Results id={r.id} version={version} active={r.active} /> : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
