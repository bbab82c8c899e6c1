import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, test } from 'vitest';
import { SsoButtons, SsoErrorNotice, SsoOnlyCard } from './sso-sign-in.tsx';

const info = { providers: [{ id: 'corp', name: 'Corp SSO' }], localPasswords: true };

describe('single sign-on on the login page', () => {
  test('one "Sign in with <name>" link per provider, to the server route that starts the sign-in', () => {
    const html = renderToStaticMarkup(<SsoButtons info={info} withSeparator />);
    expect(html).toContain('Sign in with Corp SSO');
    expect(html).toContain('href="/api/auth/oidc/corp/start?returnTo=%2F"');
    expect(html).toContain('>or<');
    expect(renderToStaticMarkup(<SsoButtons info={null} withSeparator />)).toBe('');
    expect(
      renderToStaticMarkup(<SsoButtons info={{ providers: [], localPasswords: true }} withSeparator />),
    ).toBe('');
  });

  test('with passwords off the card holds only the providers', () => {
    const html = renderToStaticMarkup(<SsoOnlyCard info={{ ...info, localPasswords: false }} />);
    expect(html).toContain('Sign in with Corp SSO');
    expect(html).not.toContain('type="password"');
  });

  test('a refused sign-in is explained by its code; an unknown code gets the generic sentence', () => {
    expect(renderToStaticMarkup(<SsoErrorNotice search="?sso_error=oidc_domain" />)).toContain(
      'Accounts with this email domain may not sign in here.',
    );
    expect(renderToStaticMarkup(<SsoErrorNotice search="?sso_error=%3Cscript%3E" />)).toContain(
      'could not be verified',
    );
    expect(renderToStaticMarkup(<SsoErrorNotice search="" />)).toBe('');
  });
});
