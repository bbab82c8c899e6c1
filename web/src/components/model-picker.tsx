import type { ModelListEntry } from '../api/types.ts';
import { type Lang, type Translate, useI18n } from '../i18n/index.ts';
import { formatPercent } from '../lib/format.ts';
import { modelsChanging, useModels } from './use-models.ts';

/** A model's state for people: 0–1 or 0–100 progress both show as a percentage in the UI language. */
export function modelStateLabel(
  m: Pick<ModelListEntry, 'state' | 'downloadProgress'>,
  t: Translate,
  lang: Lang,
): string {
  switch (m.state) {
    case 'ready':
      return t('modelReady');
    case 'loading':
      return t('modelLoading');
    case 'downloading': {
      const p = m.downloadProgress ?? 0;
      return t('modelDownloading', { pct: formatPercent(p <= 1 ? p : p / 100, lang) });
    }
    case 'unavailable':
      return t('modelUnavailable');
    default:
      m.state satisfies never;
      return '';
  }
}

const POLL_MS = 3000;

export function ModelPicker({
  value,
  onChange,
}: {
  value: string | undefined;
  onChange: (id: string) => void;
}) {
  const { t, lang } = useI18n();
  // Poll only while something is on its way, so the picker shows progress without idle traffic.
  const data = useModels((res) => (modelsChanging(res) ? POLL_MS : undefined));
  if (!data || data.models.length === 0) return null;
  const selected =
    value && data.models.some((m) => m.id === value) ? value : (data.defaultModel ?? data.models[0]?.id);
  return (
    <select
      className="select model-picker"
      aria-label={t('model')}
      value={selected}
      onChange={(e) => onChange(e.target.value)}
    >
      {data.models.map((m) => (
        <option key={m.id} value={m.id} disabled={m.state === 'unavailable'}>
          {m.id} — {modelStateLabel(m, t, lang)}
        </option>
      ))}
    </select>
  );
}
