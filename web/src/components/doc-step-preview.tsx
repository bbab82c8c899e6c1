/**
 * The folded `search_documents` step in the timeline (issue 13): the notice when whole documents did not fit,
 * then what was retrieved — each passage's citation label and the start of its text (text nodes only: it
 * comes from the user's files).
 */
import type { DocPassage } from '../chat/passages.ts';
import { previewLine } from '../chat/timeline.ts';
import { pluralKey, useI18n } from '../i18n/index.ts';

export function DocStepPreview({
  passages,
  notice,
  whole,
  onOpen,
}: {
  passages: readonly DocPassage[];
  notice: string | undefined;
  whole: boolean;
  onOpen: () => void;
}) {
  const { t, lang } = useI18n();
  const count = whole && !notice ? 'docsRead' : 'passagesFound';
  return (
    <button type="button" className="tool-step-preview tool-step-pages doc-step" onClick={onOpen}>
      {notice ? (
        <span className="doc-step-notice" role="note">
          {t('wholeDidNotFit')}
        </span>
      ) : null}
      <span className="tool-step-pages-count">
        {t(pluralKey(lang, count, passages.length), { n: passages.length })}
      </span>
      {passages.map((p, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: one step's fixed list, never reordered
        <span key={`${i}-${p.chunkId ?? p.label}`} className="tool-step-page doc-step-passage">
          <span className="tool-step-page-title">[{p.label}]</span>
          <span className="tool-step-page-host">{previewLine(p.excerpt, 90)}</span>
        </span>
      ))}
    </button>
  );
}
