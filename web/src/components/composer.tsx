import { type KeyboardEvent, useEffect, useRef, useState } from 'react';
import type { Effort, ToolInfo } from '../api/types.ts';
import { useT } from '../i18n/index.ts';
import { AttachButton, AttachmentBar, type ComposerDocuments } from './attachment-bar.tsx';
import { ModelPicker } from './model-picker.tsx';
import { ThinkingChoice } from './thinking-choice.tsx';
import { ToolsMenu } from './tools-menu.tsx';

export interface ComposerProps {
  busy: boolean;
  onSend: (text: string) => Promise<boolean>;
  onStop: () => void;
  deepThink: boolean;
  onDeepThink: (on: boolean) => void;
  effort: Effort;
  onEffort: (e: Effort) => void;
  model: string | undefined;
  onModel: (id: string) => void;
  /** Tools the chosen model may call (the Tools control is hidden when there are none). */
  tools: readonly ToolInfo[];
  selectedTools: readonly string[];
  onTools: (names: string[]) => void;
  /** The server can search the web: the Search toggle shows (hidden otherwise). */
  searchOffered?: boolean;
  /** Search the web before answering (the toggle is pressed). */
  search?: boolean;
  onSearch?: (on: boolean) => void;
  /** Documents (issue 13): the paperclip, drag and drop, paste, chips; absent where the server has none. */
  documents?: ComposerDocuments;
}

/** The files a drag or paste carries (none for plain text). */
function filesOf(data: DataTransfer | null): File[] {
  return data ? [...data.files] : [];
}

/** The message box: Enter sends, Shift+Enter adds a line, text comes back if the turn could not start. */
export function Composer(props: ComposerProps) {
  const t = useT();
  const { busy, onSend, onStop } = props;
  const [text, setText] = useState('');
  // Enter while an answer streams cannot send: say why instead of doing nothing.
  const [waitHint, setWaitHint] = useState(false);
  const [dragging, setDragging] = useState(false);
  const docs = props.documents;
  const uploading = docs?.attachments.some((a) => a.status === 'uploading') ?? false;
  const ref = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    if (!busy) setWaitHint(false);
  }, [busy]);

  // Grow with the text up to a cap (CSS max-height), like the chat apps people know.
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-measure whenever the text changes
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${el.scrollHeight}px`;
  }, [text]);

  // Ready to type on desktop; on touch screens focusing would pop the keyboard over the conversation.
  useEffect(() => {
    if (matchMedia('(pointer: fine)').matches) ref.current?.focus();
  }, []);

  const submit = () => {
    const value = text;
    if (busy && value.trim()) setWaitHint(true);
    if (busy || uploading || !value.trim()) return;
    setText('');
    void onSend(value).then((ok) => {
      if (!ok) setText((current) => current || value);
    });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    }
  };

  return (
    <form
      className={`composer${dragging ? ' composer-dragging' : ''}`}
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
      onDragOver={(e) => {
        if (!docs || !e.dataTransfer.types.includes('Files')) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
        if (!dragging) setDragging(true);
      }}
      onDragLeave={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDragging(false);
      }}
      onDrop={(e) => {
        setDragging(false);
        const files = filesOf(e.dataTransfer);
        if (!docs || files.length === 0) return;
        e.preventDefault();
        docs.onFiles(files);
      }}
    >
      {docs ? <AttachmentBar docs={docs} /> : null}
      {dragging ? (
        <p className="composer-drop" role="status">
          {t('dropFiles')}
        </p>
      ) : null}
      <textarea
        ref={ref}
        className="composer-input"
        aria-label={t('messagePlaceholder')}
        placeholder={t('composerShort')}
        value={text}
        rows={1}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
        onPaste={(e) => {
          const files = filesOf(e.clipboardData);
          if (!docs || files.length === 0) return;
          e.preventDefault();
          docs.onFiles(files);
        }}
      />
      {waitHint ? (
        <p className="composer-hint" role="status">
          {t('waitForAnswer')}
        </p>
      ) : null}
      <div className="composer-bar">
        {docs ? (
          <AttachButton
            onFiles={docs.onFiles}
            limits={docs.limits}
            {...(docs.limits?.accepted ? { accept: docs.limits.accepted.join(',') } : {})}
          />
        ) : null}
        <ThinkingChoice
          deepThink={props.deepThink}
          onDeepThink={props.onDeepThink}
          effort={props.effort}
          onEffort={props.onEffort}
        />
        {props.searchOffered ? (
          <button
            type="button"
            className={`chip chip-search${props.search ? ' chip-on' : ''}`}
            aria-pressed={props.search === true}
            title={t('webSearchHint')}
            onClick={() => props.onSearch?.(!props.search)}
          >
            {t('webSearch')}
          </button>
        ) : null}
        {props.tools.length > 0 ? (
          <ToolsMenu tools={props.tools} selected={props.selectedTools} onChange={props.onTools} />
        ) : null}
        <ModelPicker value={props.model} onChange={props.onModel} />
        <span className="spacer" />
        {busy ? (
          <button key="stop" type="button" className="button stop" aria-label={t('stop')} onClick={onStop}>
            ■ {t('stop')}
          </button>
        ) : (
          <button
            key="send"
            type="submit"
            className="button primary send"
            aria-label={t('send')}
            disabled={!text.trim() || uploading}
            title={uploading ? t('waitForUploads') : undefined}
          >
            ↑
          </button>
        )}
      </div>
    </form>
  );
}
