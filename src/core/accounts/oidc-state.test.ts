import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OidcProviderConfig } from '../../config/oidc-schema.ts';
import { adminFromClaims } from './oidc-accounts.ts';
import { OidcFlowSealer, safeReturnTo } from './oidc-state.ts';

const flow = {
  provider: 'corp',
  state: 'st',
  nonce: 'no',
  codeVerifier: 'verifier',
  returnTo: '/c/1',
  expiresAt: 2_000,
};

test('the flow cookie opens only untouched, unexpired, under the same key', () => {
  const secret = new Uint8Array(32).fill(3);
  const sealer = new OidcFlowSealer(secret);
  const sealed = sealer.seal(flow);
  assert.ok(!sealed.includes('verifier'), 'the PKCE verifier is not readable in the cookie');
  assert.deepEqual(sealer.open(sealed, 1_000), flow);
  // Another instance with the same secret opens it; another secret does not.
  assert.deepEqual(new OidcFlowSealer(secret).open(sealed, 1_000), flow);
  assert.equal(new OidcFlowSealer(new Uint8Array(32).fill(4)).open(sealed, 1_000), null);
  assert.equal(sealer.open(sealed, 2_000), null, 'expired');
  const bytes = Buffer.from(sealed.slice(3), 'base64url');
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
  assert.equal(sealer.open(`o1.${bytes.toString('base64url')}`, 1_000), null, 'tampered');
  for (const junk of [undefined, '', 'o1.', 'o2.abc', 'o1.%%%', `o1.${'A'.repeat(5000)}`]) {
    assert.equal(sealer.open(junk, 1_000), null);
  }
});

test('returnTo is a path on this site or "/"', () => {
  assert.equal(safeReturnTo('/c/abc?x=1'), '/c/abc?x=1');
  for (const bad of [
    '//evil.test',
    '/\\evil.test',
    'https://evil.test/',
    'javascript:alert(1)',
    '/a\r\nSet-Cookie: x',
    42,
    undefined,
  ]) {
    assert.equal(safeReturnTo(bad), '/', String(bad));
  }
});

test('the admin claim: a value in an array, an equal string, or true without a value', () => {
  const base = {
    id: 'corp',
    name: 'Corp',
    issuer: 'https://idp.test',
    clientId: 'c',
    allowedEmailDomains: [],
    createAccounts: true,
    assumeEmailVerified: false,
  };
  const groups: OidcProviderConfig = { ...base, adminClaim: { claim: 'groups', value: 'admins' } };
  assert.equal(adminFromClaims(groups, { groups: ['staff', 'admins'] }), true);
  assert.equal(adminFromClaims(groups, { groups: ['staff'] }), false);
  assert.equal(adminFromClaims(groups, { groups: 'admins' }), true);
  assert.equal(adminFromClaims(groups, {}), false);
  const flag: OidcProviderConfig = { ...base, adminClaim: { claim: 'is_admin' } };
  assert.equal(adminFromClaims(flag, { is_admin: true }), true);
  assert.equal(adminFromClaims(flag, { is_admin: 'yes' }), false);
  assert.equal(
    adminFromClaims(base, { groups: ['admins'] }),
    undefined,
    'no claim configured: left to Ponder',
  );
});
