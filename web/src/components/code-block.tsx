import { memo, useEffect, useState } from 'react';
import { useT } from '../i18n/index.ts';
import { loadHighlighter, useLazyLibs } from './lazy-libs.ts';

/** Copies text; navigator.clipboard needs a secure context, so fall back to a hidden textarea. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.style.position = 'fixed';
    ta.style.opacity = '0';
    document.body.append(ta);
    ta.select();
    const ok = document.execCommand('copy');
    ta.remove();
    return ok;
  }
}

export function CopyButton({ text, className }: { text: string; className?: string }) {
  const t = useT();
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 1500);
    return () => clearTimeout(timer);
  }, [copied]);
  return (
    <button
      type="button"
      className={className ?? 'icon-button'}
      aria-label={copied ? t('copied') : t('copy')}
      onClick={() => {
        void copyText(text).then(setCopied);
      }}
    >
      {copied ? t('copied') : t('copy')}
    </button>
  );
}

/** A fenced code block: language label, copy button, syntax highlighting once highlight.js has loaded. */
export const CodeBlock = memo(function CodeBlock({ code, language }: { code: string; language?: string }) {
  const { highlight } = useLazyLibs();
  useEffect(() => {
    if (!highlight) void loadHighlighter();
  }, [highlight]);
  const html = highlight?.(code, language);
  return (
    <div className="code-block">
      <div className="code-header">
        <span className="code-lang">{language ?? 'text'}</span>
        <CopyButton text={code} className="code-copy" />
      </div>
      <pre>
        {html === undefined ? (
          <code className="hljs">{code}</code>
        ) : (
          // biome-ignore lint/security/noDangerouslySetInnerHtml: highlight.js escapes the code; the markup is its own spans
          <code className="hljs" dangerouslySetInnerHTML={{ __html: html }} />
        )}
      </pre>
    </div>
  );
});
