/**
 * The model's state on the empty chat page, before anyone sends a message: downloading (with progress),
 * loading, or missing. Users read plain words; admins also read the fix and a link to Admin → Models.
 * Polls only while the state can change by itself, and slowly while an admin has yet to add a model.
 */
import type { ModelListEntry, ModelsResponse } from '../api/types.ts';
import { useApp } from '../app-context.ts';
import type { ModelNotReadyState } from '../chat/chat-error.ts';
import { type Translate, useT } from '../i18n/index.ts';
import { useFormat } from '../lib/format.ts';
import { navigate } from '../lib/router.ts';
import { modelsChanging, useModels } from './use-models.ts';

const FAST_POLL_MS = 3000;
const SLOW_POLL_MS = 15_000;

/** What to tell a person whose message cannot be answered yet. */
export function modelNotReadyText(state: ModelNotReadyState, isAdmin: boolean, t: Translate): string {
  switch (state) {
    case 'downloading':
      return t('modelNoticeDownloading');
    case 'loading':
      return t('modelNoticeLoading');
    case 'missing':
    case 'unavailable':
      return isAdmin ? t('modelNoticeMissingAdmin') : t('modelNoticeMissingUser');
    default:
      return state satisfies never;
  }
}

/** The model a send would use: the chosen one when it is listed, else the server's default. */
function targetOf(data: ModelsResponse, chosen: string | undefined): ModelListEntry | undefined {
  const id = chosen && data.models.some((m) => m.id === chosen) ? chosen : data.defaultModel;
  return data.models.find((m) => m.id === id) ?? (id ? undefined : data.models[0]);
}

export function ModelNotice({ chosen }: { chosen: string | undefined }) {
  const t = useT();
  const f = useFormat();
  const { user } = useApp();
  const data = useModels((res) => {
    if (modelsChanging(res)) return FAST_POLL_MS;
    return res?.models.some((m) => m.state === 'ready') ? undefined : SLOW_POLL_MS;
  });
  if (!data) return null;
  const target = targetOf(data, chosen);
  if (target?.state === 'ready') return null;
  const state: ModelNotReadyState = target ? target.state : 'missing';
  const progress = target?.state === 'downloading' ? Math.min(1, target.downloadProgress ?? 0) : undefined;
  return (
    <section className="model-notice" aria-live="polite" data-state={state}>
      <p>
        {target ? <strong>{target.id}</strong> : null} {modelNotReadyText(state, user.isAdmin, t)}
      </p>
      {progress !== undefined ? (
        <progress className="meter" max={1} value={progress} aria-label={t('modelDownloadProgress')}>
          {f.percent(progress)}
        </progress>
      ) : null}
      {user.isAdmin && target?.detail && state !== 'downloading' ? (
        <p className="muted">{target.detail}</p>
      ) : null}
      {user.isAdmin && (state === 'missing' || state === 'unavailable') ? (
        <button type="button" className="button" onClick={() => navigate('/admin')}>
          {t('openAdminModels')}
        </button>
      ) : null}
    </section>
  );
}
