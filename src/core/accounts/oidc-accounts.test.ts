import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { OidcProviderConfig } from '../../config/oidc-schema.ts';
import { openStore } from '../../store/open-store.ts';
import type { Store } from '../../store/types.ts';
import { resolveAccount } from './oidc-accounts.ts';
import { OidcError } from './oidc-errors.ts';

const provider: OidcProviderConfig = {
  id: 'corp',
  name: 'Corp',
  issuer: 'https://login.example.com',
  clientId: 'ponder',
  allowedEmailDomains: [],
  createAccounts: true,
  assumeEmailVerified: false,
};

let dir: string;
let store: Store;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ponder-oidc-accounts-'));
  store = await openStore({ dataDir: dir, masterKey: 'b'.repeat(64) });
  await store.users.create({ email: 'admin@example.com', passwordHash: 'x', plan: 'free', isAdmin: true });
});
after(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const deps = () => ({ store, defaultPlan: 'free', now: () => new Date() });
const identity = (subject: string, claims: Record<string, unknown>) => ({ subject, sid: null, claims });

test('an email without email_verified is refused unless the provider is trusted to verify every email', async () => {
  const existing = await store.users.create({ email: 'pat@example.com', passwordHash: 'x', plan: 'free' });
  await assert.rejects(
    resolveAccount(deps(), provider, identity('pat-sub', { email: 'pat@example.com' })),
    (err: unknown) => err instanceof OidcError && err.code === 'oidc_unverified',
  );
  const trusted = { ...provider, assumeEmailVerified: true };
  const linked = await resolveAccount(deps(), trusted, identity('pat-sub', { email: 'pat@example.com' }));
  assert.equal(linked.user.id, existing.id);
  assert.equal(linked.how, 'linked_by_email');
  // "email_verified": "false" as a string is not a yes.
  await assert.rejects(
    resolveAccount(
      deps(),
      provider,
      identity('sam-sub', { email: 'sam@example.com', email_verified: 'false' }),
    ),
    (err: unknown) => err instanceof OidcError && err.code === 'oidc_unverified',
  );
});

test('createAccounts: false refuses unknown emails; a linked identity still signs in', async () => {
  const closed = { ...provider, createAccounts: false };
  await assert.rejects(
    resolveAccount(deps(), closed, identity('new-sub', { email: 'new@example.com', email_verified: true })),
    (err: unknown) => err instanceof OidcError && err.code === 'oidc_no_account',
  );
  const made = await resolveAccount(
    deps(),
    provider,
    identity('kim-sub', { email: 'kim@example.com', email_verified: true }),
  );
  assert.equal(made.how, 'created');
  assert.equal(made.user.isAdmin, false);
  const again = await resolveAccount(deps(), closed, identity('kim-sub', {}));
  assert.equal(again.user.id, made.user.id);
  assert.equal(again.how, 'linked_identity');
});
