/**
 * Single sign-on on the login page: a "Sign in with <name>" button per configured OpenID provider (a
 * full-page navigation to the server, which redirects to the provider), and the reason a sign-in came
 * back refused (`/login?sso_error=<code>`).
 */
import { useEffect, useState } from 'react';
import type { ApiOidcProviders, OIDC_ERROR_CODES } from '../../../src/api/oidc.ts';
import { api } from '../api/client.ts';
import type { MessageKey } from '../i18n/en.ts';
import { useT } from '../i18n/index.ts';

const ERROR_KEYS: Record<(typeof OIDC_ERROR_CODES)[number], MessageKey> = {
  oidc_state: 'ssoErrorState',
  oidc_denied: 'ssoErrorDenied',
  oidc_failed: 'ssoErrorFailed',
  oidc_unavailable: 'ssoErrorUnavailable',
  oidc_domain: 'ssoErrorDomain',
  oidc_unverified: 'ssoErrorUnverified',
  oidc_no_email: 'ssoErrorNoEmail',
  oidc_no_account: 'ssoErrorNoAccount',
  oidc_disabled: 'ssoErrorDisabled',
  oidc_setup: 'ssoErrorSetup',
};

/** The providers and whether passwords are on; `null` until known (or when the server is older). */
export function useSsoInfo(): ApiOidcProviders | null {
  const [info, setInfo] = useState<ApiOidcProviders | null>(null);
  useEffect(() => {
    api<ApiOidcProviders>('/api/auth/oidc/providers').then(setInfo, () => undefined);
  }, []);
  return info;
}

export function SsoButtons({
  info,
  withSeparator,
}: {
  info: ApiOidcProviders | null;
  withSeparator: boolean;
}) {
  const t = useT();
  if (!info || info.providers.length === 0) return null;
  return (
    <div className="sso-buttons">
      {withSeparator ? <p className="muted sso-or">{t('ssoOr')}</p> : null}
      {info.providers.map((p) => (
        <a
          key={p.id}
          className="button wide"
          href={`/api/auth/oidc/${encodeURIComponent(p.id)}/start?returnTo=%2F`}
        >
          {t('ssoSignInWith', { name: p.name })}
        </a>
      ))}
    </div>
  );
}

/** The sentence for `?sso_error=` in the page's URL (or `search`), if any. */
export function SsoErrorNotice({ search }: { search?: string }) {
  const t = useT();
  const code = new URLSearchParams(
    search ?? (typeof window === 'undefined' ? '' : window.location.search),
  ).get('sso_error');
  if (!code) return null;
  const key = (ERROR_KEYS as Record<string, MessageKey | undefined>)[code] ?? 'ssoErrorFailed';
  return (
    <p className="form-error" role="alert">
      {t(key)}
    </p>
  );
}

/** The whole login page when passwords are off: only the providers. */
export function SsoOnlyCard({ info }: { info: ApiOidcProviders }) {
  const t = useT();
  return (
    <main className="auth">
      <div className="auth-card">
        <h1>{t('appName')}</h1>
        <h2>{t('signIn')}</h2>
        <SsoErrorNotice />
        <SsoButtons info={info} withSeparator={false} />
      </div>
    </main>
  );
}
