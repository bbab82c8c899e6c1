/**
 * Documents in the composer (issue 13): the paperclip (a file picker), the attached file chips with their
 * upload progress or error and a remove button, the chosen collections, the "read whole" toggle and the
 * plan's limits. File names come from the user: text nodes only.
 */
import type { CollectionInfo, DocumentLimits } from '../api/documents.ts';
import type { Attachment } from '../chat/attachments.ts';
import { useT } from '../i18n/index.ts';
import { useFormat } from '../lib/format.ts';

/** What the picker offers (the server checks the real type by content anyway). */
export const ACCEPTED_FILES =
  '.pdf,.docx,.md,.markdown,.txt,.html,.htm,.csv,.json,.ts,.tsx,.js,.jsx,.py,.go,.rs,.java,.c,.h,.cpp,.cs,.rb,.php,.sh,.sql,.yaml,.yml,.toml,.xml';

export interface ComposerDocuments {
  attachments: readonly Attachment[];
  limits: DocumentLimits | undefined;
  onFiles: (files: File[]) => void;
  onRemove: (key: string) => void;
  collections: readonly CollectionInfo[];
  selectedCollections: readonly string[];
  onCollections: (ids: string[]) => void;
  whole: boolean;
  onWhole: (on: boolean) => void;
}

/**
 * The paperclip: opens the file picker (several files at once). The input is made on click and never put in
 * the page, so the message form holds no file input (and no control a page could be confused with).
 */
export function AttachButton({
  onFiles,
  accept = ACCEPTED_FILES,
  limits,
}: {
  onFiles: (files: File[]) => void;
  /** The extensions the server accepts (its limits say), else a built-in list. */
  accept?: string;
  /** Shown in the button's tooltip, so the limits are known before choosing a file. */
  limits?: DocumentLimits | undefined;
}) {
  const t = useT();
  const { bytes } = useFormat();
  const hint = limits ? limitsLine(limits, t, bytes) : '';
  return (
    <button
      type="button"
      className="icon-button attach-button"
      aria-label={t('attachFiles')}
      title={hint ? `${t('attachFiles')} (${hint})` : t('attachFiles')}
      onClick={() => {
        const input = document.createElement('input');
        input.type = 'file';
        input.multiple = true;
        input.accept = accept;
        input.addEventListener('change', () => {
          const files = [...(input.files ?? [])];
          if (files.length > 0) onFiles(files);
        });
        input.click();
      }}
    >
      +
    </button>
  );
}

/** The plan's limits in one line: size per file, storage used, pages, keyword-only search. */
export function limitsLine(
  limits: DocumentLimits,
  t: ReturnType<typeof useT>,
  bytes: (n: number) => string,
): string {
  return [
    limits.maxFileBytes !== undefined ? t('limitPerFile', { size: bytes(limits.maxFileBytes) }) : '',
    limits.maxStorageBytes !== undefined
      ? t('limitStorage', { used: bytes(limits.usedBytes ?? 0), total: bytes(limits.maxStorageBytes) })
      : '',
    limits.maxPages !== undefined ? t('limitPages', { n: limits.maxPages }) : '',
    limits.vectorSearch === false ? t('keywordSearchOnly') : '',
  ]
    .filter(Boolean)
    .join(' · ');
}

/** The chips, collections, toggle and limits above the message box; nothing when there is nothing to show. */
export function AttachmentBar({ docs }: { docs: ComposerDocuments }) {
  const t = useT();
  const { bytes, percent } = useFormat();
  const chosen = docs.collections.filter((c) => docs.selectedCollections.includes(c.id));
  const unchosen = docs.collections.filter((c) => !docs.selectedCollections.includes(c.id));
  const hasDocs = docs.attachments.some((a) => a.status === 'ready') || chosen.length > 0;
  const limits = docs.limits;
  return (
    <div className="attachment-bar">
      {docs.attachments.length > 0 || chosen.length > 0 ? (
        <ul className="attachment-chips" aria-label={t('attachedFiles')}>
          {docs.attachments.map((a) => (
            <li key={a.key} className="attachment-chip" data-status={a.status}>
              <span className="attachment-name" title={a.name}>
                {a.name}
              </span>
              {a.status === 'uploading' ? (
                <progress
                  className="attachment-progress"
                  max={1}
                  value={a.progress}
                  aria-label={t('uploading')}
                >
                  {percent(a.progress)}
                </progress>
              ) : a.status === 'ready' ? (
                <span className="attachment-size">{bytes(a.sizeBytes)}</span>
              ) : null}
              {a.error ? (
                <span className="attachment-error" role="alert">
                  {a.error}
                </span>
              ) : null}
              <button
                type="button"
                className="attachment-remove"
                aria-label={t('removeAttachment', { name: a.name })}
                title={t('removeAttachment', { name: a.name })}
                onClick={() => docs.onRemove(a.key)}
              >
                ×
              </button>
            </li>
          ))}
          {chosen.map((c) => (
            <li key={c.id} className="attachment-chip attachment-collection">
              <span className="attachment-name">{t('collectionChip', { name: c.name })}</span>
              <button
                type="button"
                className="attachment-remove"
                aria-label={t('removeAttachment', { name: c.name })}
                onClick={() => docs.onCollections(docs.selectedCollections.filter((id) => id !== c.id))}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <div className="attachment-options">
        {unchosen.length > 0 ? (
          <select
            className="select attachment-collections"
            aria-label={t('useCollection')}
            value=""
            onChange={(e) => {
              if (e.target.value) docs.onCollections([...docs.selectedCollections, e.target.value]);
            }}
          >
            <option value="">{t('useCollection')}</option>
            {unchosen.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        ) : null}
        {hasDocs ? (
          <button
            type="button"
            className={`chip${docs.whole ? ' chip-on' : ''}`}
            aria-pressed={docs.whole}
            title={t('readWholeHint')}
            onClick={() => docs.onWhole(!docs.whole)}
          >
            {t('readWhole')}
          </button>
        ) : null}
        {limits && (docs.attachments.length > 0 || hasDocs) ? (
          <span className="attachment-limits muted">{limitsLine(limits, t, bytes)}</span>
        ) : null}
      </div>
    </div>
  );
}
