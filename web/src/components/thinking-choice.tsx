/** The DeepThink toggle and, while it is on, the thinking effort: the chat composer's and the arena's. */
import type { Effort } from '../api/types.ts';
import { useT } from '../i18n/index.ts';

export function ThinkingChoice(props: {
  deepThink: boolean;
  onDeepThink: (on: boolean) => void;
  effort: Effort;
  onEffort: (e: Effort) => void;
}) {
  const t = useT();
  return (
    <>
      <button
        type="button"
        className={`chip${props.deepThink ? ' chip-on' : ''}`}
        aria-pressed={props.deepThink}
        onClick={() => props.onDeepThink(!props.deepThink)}
      >
        {t('deepThink')}
      </button>
      {props.deepThink ? (
        <select
          className="select"
          aria-label={t('effort')}
          value={props.effort}
          onChange={(e) => props.onEffort(e.target.value as Effort)}
        >
          <option value="low">{t('effortLow')}</option>
          <option value="medium">{t('effortMedium')}</option>
          <option value="high">{t('effortHigh')}</option>
        </select>
      ) : null}
    </>
  );
}
