import { useEffect, useState } from 'react';
import { ApiError, api } from '../api/client.ts';
import { solvePow } from '../api/pow.ts';
import type { ApiSetupInfo, ApiUser } from '../api/types.ts';
import { PasswordMeter } from '../components/password-meter.tsx';
import { SsoButtons, SsoErrorNotice, SsoOnlyCard, useSsoInfo } from '../components/sso-sign-in.tsx';
import { useT } from '../i18n/index.ts';
import { navigate } from '../lib/router.ts';

interface PowChallenge {
  challenge: string;
  difficulty: number;
}

function powFrom(err: ApiError): PowChallenge | undefined {
  const d = err.details ?? {};
  const challenge = d.challenge;
  const difficulty = d.difficulty;
  if (typeof challenge === 'string' && typeof difficulty === 'number') return { challenge, difficulty };
  return undefined;
}

/** Log in or sign up, solving a proof-of-work challenge when the server asks for one (under attack or load). */
export function AuthPage({ mode, onUser }: { mode: 'login' | 'signup'; onUser: (u: ApiUser) => void }) {
  const t = useT();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [invite, setInvite] = useState('');
  const [setupCode, setSetupCode] = useState('');
  // Before the first account exists, the server asks for the setup code it printed at start; an invite
  // code only when sign-up needs one (an "optional" field on an open server only confuses).
  const [setupRequired, setSetupRequired] = useState(false);
  const [signupMode, setSignupMode] = useState<ApiSetupInfo['signupMode']>('open');
  useEffect(() => {
    if (mode !== 'signup') return;
    api<ApiSetupInfo>('/api/auth/setup').then(
      (info) => {
        setSetupRequired(info.setupRequired);
        setSignupMode(info.signupMode);
      },
      () => undefined,
    );
  }, [mode]);
  const inviteShown = mode === 'signup' && signupMode === 'invite';
  const [busy, setBusy] = useState(false);
  const [solving, setSolving] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  // Single sign-on (issue 14): "Sign in with …" buttons; with passwords off, only those.
  const sso = useSsoInfo();

  // Sign-up under a flood, and login to an account with many failed attempts, may ask for a proof of work.
  const send = async (pow?: { challenge: string; nonce: string }): Promise<ApiUser> => {
    const path = mode === 'signup' ? '/api/auth/signup' : '/api/auth/login';
    const extra = inviteShown && invite ? { inviteCode: invite } : {};
    const setup = mode === 'signup' && setupRequired && setupCode ? { setupCode } : {};
    const body = { email, password, ...extra, ...setup, ...(pow ? { pow } : {}) };
    try {
      const res = await api<{ user: ApiUser }>(path, { method: 'POST', body });
      return res.user;
    } catch (err) {
      if (!pow && err instanceof ApiError && err.code === 'pow_required') {
        let challenge = powFrom(err);
        if (!challenge) {
          const info = await api<{ required: boolean; challenge?: string; difficulty?: number }>(
            '/api/auth/pow',
          );
          if (info.challenge && info.difficulty !== undefined) {
            challenge = { challenge: info.challenge, difficulty: info.difficulty };
          }
        }
        if (!challenge) throw err;
        setSolving(true);
        try {
          const nonce = await solvePow(challenge.challenge, challenge.difficulty);
          return await send({ challenge: challenge.challenge, nonce });
        } finally {
          setSolving(false);
        }
      }
      throw err;
    }
  };

  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const user = await send();
      onUser(user);
      navigate('/', { replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.details?.field === 'setupCode') setSetupRequired(true);
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  if (sso && !sso.localPasswords) return <SsoOnlyCard info={sso} />;

  return (
    <main className="auth">
      <form
        className="auth-card"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <h1>{t('appName')}</h1>
        <h2>{mode === 'signup' ? t('signUp') : t('signIn')}</h2>
        {mode === 'login' ? <SsoErrorNotice /> : null}
        <label className="field">
          <span>{t('email')}</span>
          <input
            className="input"
            type="email"
            name="email"
            autoComplete="email"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </label>
        <label className="field">
          <span>{t('password')}</span>
          <input
            className="input"
            type="password"
            name="password"
            autoComplete={mode === 'signup' ? 'new-password' : 'current-password'}
            required
            minLength={mode === 'signup' ? 8 : undefined}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {mode === 'signup' ? <PasswordMeter password={password} owner={{ email }} /> : null}
        {mode === 'signup' && setupRequired ? (
          <label className="field">
            <span>{t('setupCode')}</span>
            <input
              className="input"
              name="setupCode"
              autoComplete="off"
              required
              value={setupCode}
              onChange={(e) => setSetupCode(e.target.value)}
            />
          </label>
        ) : null}
        {inviteShown ? (
          <label className="field">
            <span>{t('inviteCode')}</span>
            <input
              className="input"
              name="invite"
              autoComplete="off"
              required
              value={invite}
              onChange={(e) => setInvite(e.target.value)}
            />
          </label>
        ) : null}
        {mode === 'signup' && signupMode === 'closed' ? (
          <p className="muted" role="status">
            {t('signupClosed')}
          </p>
        ) : null}
        {solving ? (
          <p className="muted" role="status">
            {t('solvingChallenge')}
          </p>
        ) : null}
        {error ? (
          <p className="form-error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="button primary wide" disabled={busy}>
          {mode === 'signup' ? t('signUp') : t('signIn')}
        </button>
        <SsoButtons info={sso} withSeparator />
        <a
          className="switch-auth"
          href={mode === 'signup' ? '/login' : '/signup'}
          onClick={(e) => {
            e.preventDefault();
            setError(undefined);
            navigate(mode === 'signup' ? '/login' : '/signup');
          }}
        >
          {mode === 'signup' ? t('haveAccount') : t('noAccount')}
        </a>
      </form>
    </main>
  );
}
