/**
 * Which account a verified OpenID identity signs in to, by the provider's policy:
 * 1. an identity already linked (provider, sub) → its account;
 * 2. else an account with the same email → linked, only when the provider says the email is verified
 *    (an unverified email would let anyone who can type an address take over that account);
 * 3. else a new account, when the provider creates accounts (`createAccounts`), again only for a
 *    verified email (a squatted address could later be linked by another provider).
 * Every login checks the email domain, refuses disabled accounts and, with `adminClaim`, sets admin
 * rights from the claim.
 */
import type { OidcProviderConfig } from '../../config/oidc-schema.ts';
import { StoreError } from '../../store/errors.ts';
import type { Store, UserRecord } from '../../store/types.ts';
import { isValidEmail, normaliseEmail } from './email.ts';
import { AccountError } from './errors.ts';
import type { OidcIdentity } from './oidc-client.ts';
import { OidcError } from './oidc-errors.ts';

/**
 * What accounts created by single sign-on keep as their password hash: not an argon2 hash, so no
 * password ever matches it (`PasswordHasher.verify` answers false for a malformed hash).
 */
export const NO_PASSWORD_HASH = '!sso-only';

export interface ResolvedAccount {
  user: UserRecord;
  identityId: string;
  /** How this login found its account. */
  how: 'linked_identity' | 'linked_by_email' | 'created';
  /** Admin rights changed by the claim on this login. */
  adminChanged: boolean;
}

export interface OidcAccountsDeps {
  store: Store;
  defaultPlan: string;
  now: () => Date;
}

export async function resolveAccount(
  deps: OidcAccountsDeps,
  provider: OidcProviderConfig,
  identity: OidcIdentity,
): Promise<ResolvedAccount> {
  const { store } = deps;
  const claims = identity.claims;
  const rawEmail = typeof claims.email === 'string' ? normaliseEmail(claims.email) : '';
  const email = isValidEmail(rawEmail) ? rawEmail : null;
  const verified =
    provider.assumeEmailVerified || claims.email_verified === true || claims.email_verified === 'true';
  const isAdmin = adminFromClaims(provider, claims);

  const linked = await store.identities.find(provider.id, identity.subject);
  let found: Omit<ResolvedAccount, 'adminChanged'>;
  if (linked) {
    checkDomain(provider, email ?? linked.user.email);
    found = { user: linked.user, identityId: linked.identity.id, how: 'linked_identity' };
  } else {
    if (!email) {
      throw new OidcError('oidc_no_email', `${provider.name} did not share an email address with Ponder.`);
    }
    checkDomain(provider, email);
    if (!verified) {
      throw new OidcError(
        'oidc_unverified',
        `${provider.name} did not confirm that this email address is verified, so it cannot sign in to an account here.`,
      );
    }
    const existing = await store.users.byEmail(email);
    if (existing) {
      found = await linkByEmail(store, provider, identity, existing);
    } else {
      if (!provider.createAccounts) {
        throw new OidcError(
          'oidc_no_account',
          `No account exists for this email, and signing in with ${provider.name} does not create one. Ask an administrator.`,
        );
      }
      found = await createAccount(deps, provider, identity, email, isAdmin);
    }
  }
  if (found.user.disabled) throw new OidcError('oidc_disabled', 'This account is disabled.');
  let user = found.user;
  let adminChanged = false;
  if (isAdmin !== undefined && isAdmin !== user.isAdmin) {
    user = (await store.users.update(user.id, { isAdmin })) ?? user;
    adminChanged = true;
  }
  await store.identities.touch(found.identityId, deps.now());
  return { ...found, user, adminChanged };
}

async function createAccount(
  deps: OidcAccountsDeps,
  provider: OidcProviderConfig,
  identity: OidcIdentity,
  email: string,
  isAdmin: boolean | undefined,
): Promise<Omit<ResolvedAccount, 'adminChanged'>> {
  const { store } = deps;
  // The first account is the admin. Without an admin claim saying so, a first SSO login must not make
  // whoever signs in first the admin: the first admin comes from the setup code or the CLI.
  if (!isAdmin && (await store.users.count()) === 0) {
    throw new OidcError(
      'oidc_setup',
      'This server has no administrator yet: create one first (`ponder user create --admin`, or sign up with the setup code).',
    );
  }
  const displayName =
    typeof identity.claims.name === 'string' ? identity.claims.name.trim().slice(0, 100) : '';
  let user: UserRecord;
  try {
    user = await store.users.create({
      email,
      passwordHash: NO_PASSWORD_HASH,
      plan: deps.defaultPlan,
      isAdmin: isAdmin === true,
      ...(displayName && !displayName.includes('\0') ? { displayName } : {}),
    });
  } catch (err) {
    // Created by a concurrent login of the same person: link to it instead.
    if (err instanceof StoreError && err.code === 'conflict') {
      const existing = await store.users.byEmail(email);
      if (existing) return linkByEmail(store, provider, identity, existing);
    }
    throw err;
  }
  try {
    const link = await store.identities.link({
      userId: user.id,
      provider: provider.id,
      subject: identity.subject,
    });
    return { user, identityId: link.id, how: 'created' };
  } catch (err) {
    await store.users.delete(user.id);
    throw err;
  }
}

async function linkByEmail(
  store: Store,
  provider: OidcProviderConfig,
  identity: OidcIdentity,
  user: UserRecord,
): Promise<Omit<ResolvedAccount, 'adminChanged'>> {
  const link = await store.identities.link({
    userId: user.id,
    provider: provider.id,
    subject: identity.subject,
  });
  return { user, identityId: link.id, how: 'linked_by_email' };
}

/** Admin or not from the configured claim; `undefined` when no claim is configured. */
export function adminFromClaims(
  provider: OidcProviderConfig,
  claims: Record<string, unknown>,
): boolean | undefined {
  const rule = provider.adminClaim;
  if (!rule) return undefined;
  const value = claims[rule.claim];
  if (rule.value === undefined) return value === true || value === 'true';
  if (Array.isArray(value)) return value.some((v) => v === rule.value);
  return value === rule.value;
}

function checkDomain(provider: OidcProviderConfig, email: string): void {
  const allowed = provider.allowedEmailDomains;
  if (allowed.length === 0) return;
  const domain = email.slice(email.lastIndexOf('@') + 1);
  if (!allowed.includes(domain)) {
    throw new OidcError(
      'oidc_domain',
      `Accounts with an email at ${domain} may not sign in here with ${provider.name}.`,
    );
  }
}

/** How recent a single sign-on must be for an account without a password to confirm its deletion. */
export const SSO_REAUTH_WINDOW_MS = 15 * 60_000;

/**
 * Accounts created by single sign-on have no password to re-enter before a sensitive change. Deletion
 * is confirmed instead by typing the account's email from a session that signed in within the last
 * 15 minutes (a fresh sign-in at the provider stands for the password). Anything else has no password
 * to check: refused with what to do.
 */
export function checkSsoConfirmation(
  user: UserRecord,
  typed: string,
  freshSince: Date | undefined,
  now: Date,
): void {
  const fresh = freshSince !== undefined && now.getTime() - freshSince.getTime() <= SSO_REAUTH_WINDOW_MS;
  if (!freshSince) {
    throw new AccountError(
      'invalid_request',
      'This account signs in with single sign-on and has no password.',
      {
        field: 'password',
      },
    );
  }
  if (!fresh || normaliseEmail(typed) !== user.email) {
    throw new AccountError(
      'invalid_request',
      'This account signs in with single sign-on: sign in again with your identity provider, then type your email address here to confirm.',
      { field: 'password' },
    );
  }
}
