import { useEffect, useState } from 'react';
import { useApp } from '../app-context.ts';
import type { ChatError } from '../chat/chat-error.ts';
import { useT } from '../i18n/index.ts';
import { useFormat } from '../lib/format.ts';
import { modelNotReadyText } from './model-notice.tsx';

function useCountdown(until: number | undefined): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (until === undefined || until <= Date.now()) return;
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [until]);
  return until === undefined ? 0 : Math.max(0, Math.ceil((until - now) / 1000));
}

/** A recoverable error: says what happened and offers a retry once the server said it is worth it. */
export function ChatErrorBanner({
  error,
  onRetry,
  onDismiss,
}: {
  error: ChatError;
  onRetry: () => void;
  onDismiss: () => void;
}) {
  const t = useT();
  const f = useFormat();
  const isAdmin = useApp().user.isAdmin;
  const retryAt = error.kind === 'busy' || error.kind === 'model_not_ready' ? error.retryAt : undefined;
  const wait = useCountdown(retryAt);
  let text: string;
  let canRetry = true;
  switch (error.kind) {
    case 'model_not_ready':
      text = modelNotReadyText(error.state, isAdmin, t);
      // Retry only when the state can change by itself (a download or load finishing).
      canRetry = error.retryAt !== undefined;
      break;
    case 'quota':
      text = t('errorQuota', { time: error.resetsAt ? f.date(error.resetsAt) : '—' });
      canRetry = false;
      break;
    case 'busy':
      text = error.code === 'overloaded' ? t('errorBusy') : t('errorRateLimited');
      break;
    case 'network':
      text = t('errorNetwork');
      break;
    case 'not_found':
      text = t('errorNotFound');
      canRetry = false;
      break;
    case 'other':
      text = error.message;
      break;
    default:
      error satisfies never;
      text = '';
  }
  return (
    <div className="error-banner" role="alert">
      <span>{text}</span>
      {canRetry ? (
        <button type="button" className="button" disabled={wait > 0} onClick={onRetry}>
          {wait > 0 ? t('retryIn', { n: wait }) : t('retry')}
        </button>
      ) : null}
      <button type="button" className="icon-button" aria-label={t('cancel')} onClick={onDismiss}>
        ✕
      </button>
    </div>
  );
}
