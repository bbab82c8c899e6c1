import { useEffect, useMemo, useState } from 'react';
import {
  loadPasswordJudge,
  type PasswordJudge,
  type PasswordOwner,
  type PasswordVerdict,
} from '../../../src/api/password-strength.ts';
import type { MessageKey } from '../i18n/en.ts';
import { useT } from '../i18n/index.ts';

const LEVELS: readonly MessageKey[] = [
  'strengthVeryWeak',
  'strengthWeak',
  'strengthFair',
  'strengthStrong',
  'strengthVeryStrong',
];

/**
 * Live strength of a new password, judged by the same rule as the server (which stays the authority).
 * zxcvbn-ts is a lazy chunk: it loads once the user starts typing, so first-load JS stays small.
 */
export function PasswordMeter({ password, owner }: { password: string; owner: PasswordOwner }) {
  const [judge, setJudge] = useState<PasswordJudge | undefined>(undefined);
  const typing = password !== '';
  useEffect(() => {
    if (!typing || judge) return;
    let live = true;
    loadPasswordJudge().then(
      (loaded) => {
        if (live) setJudge(() => loaded);
      },
      () => {}, // offline: the server still judges on submit
    );
    return () => {
      live = false;
    };
  }, [typing, judge]);
  const { email, displayName } = owner;
  const verdict = useMemo(
    () => (judge && typing ? judge(password, { email, displayName }) : undefined),
    [judge, typing, password, email, displayName],
  );
  return verdict ? <StrengthReport verdict={verdict} /> : null;
}

/** The meter and the judgement in words: the score's level, then what is wrong and how to fix it. */
export function StrengthReport({ verdict }: { verdict: PasswordVerdict }) {
  const t = useT();
  return (
    <div className="password-meter" aria-live="polite">
      <meter
        className="meter"
        min={0}
        max={4}
        low={2}
        high={3}
        optimum={4}
        value={verdict.score}
        aria-label={t('passwordStrength')}
      />
      <span className={verdict.problem ? 'form-error' : 'muted'}>
        {t(LEVELS[verdict.score] ?? 'strengthVeryWeak')}
        {verdict.problem ? `: ${verdict.problem}` : ''}
      </span>
    </div>
  );
}
