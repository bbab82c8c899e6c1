import { type ReactNode, useState } from 'react';
import { useT } from '../i18n/index.ts';

/**
 * A destructive action in two steps: the button, then "question? Yes / No" in its place (no blocking
 * `confirm()` dialog, which tests and screen readers handle badly).
 */
export function ConfirmButton(props: {
  label: string;
  /** Accessible name of the first button, e.g. "Remove: model-name". */
  ariaLabel?: string;
  question: ReactNode;
  onConfirm: () => void;
}) {
  const t = useT();
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button
        type="button"
        className="button small danger"
        aria-label={props.ariaLabel ?? props.label}
        onClick={() => setAsking(true)}
      >
        {props.label}
      </button>
    );
  }
  return (
    <span className="confirm">
      <span className="muted">{props.question}</span>
      <button
        type="button"
        className="button small danger"
        onClick={() => {
          setAsking(false);
          props.onConfirm();
        }}
      >
        {t('yes')}
      </button>
      <button type="button" className="button small" onClick={() => setAsking(false)}>
        {t('no')}
      </button>
    </span>
  );
}
