import { randomBytes } from 'node:crypto';
import { StoreError } from '../../store/errors.ts';
import type { SessionRecord, Store, UserRecord } from '../../store/types.ts';
import { PowGate } from '../rate-limit/pow.ts';
import { ApiKeys } from './api-keys.ts';
import { audit } from './audit.ts';
import { isValidEmail, normaliseEmail } from './email.ts';
import { AccountError } from './errors.ts';
import { type Admission, LoginGuard } from './login-guard.ts';
import { MemoryLoginThrottle } from './login-throttle.ts';
import { checkSsoConfirmation, NO_PASSWORD_HASH } from './oidc-accounts.ts';
import { passwordProblem } from './password-policy.ts';
import { Sessions } from './sessions.ts';
import { setupCodeMatches } from './setup-code.ts';
import { sha256Hex } from './tokens.ts';
import {
  type AccountsDeps,
  type AccountUser,
  type ClientInfo,
  DEFAULT_THROTTLE,
  type LoginClient,
  type SessionLogin,
  type ThrottleRules,
  toAccountUser,
} from './types.ts';

const INVALID_CREDENTIALS = 'The email or password is incorrect.';
/**
 * Sign-up says plainly that an email is taken. Hiding it would need the answer for a taken email to look
 * like a successful sign-up (201 and a session), which only works with an emailed confirmation link, and
 * Ponder sends no email; a generic error for a taken email still differs from the 201 a new one gets.
 * So the probe is bounded instead: per-IP sign-up limits, the proof-of-work gate under a flood, and the
 * argon2 hash computed before the lookup (docs/web-api.md § Auth). Login stays enumeration-safe.
 */
const EMAIL_TAKEN = 'An account with this email already exists. Log in instead.';

/** Sign-up, login, password and account-deletion use cases (design §6). */
export class Accounts {
  readonly sessions: Sessions;
  readonly #deps: AccountsDeps;
  readonly #throttle: ThrottleRules;
  readonly #guard: LoginGuard;
  #creating: Promise<void> = Promise.resolve();
  #hasUsers = false;

  constructor(deps: AccountsDeps) {
    this.#deps = deps;
    this.#throttle = { ...DEFAULT_THROTTLE, ...deps.throttle };
    this.#guard = new LoginGuard({
      throttle: deps.loginThrottle ?? new MemoryLoginThrottle(),
      rules: this.#throttle,
      pow: deps.loginPow ?? new PowGate({ secret: randomBytes(32) }),
      deviceSecret: deps.deviceSecret ?? randomBytes(32),
      now: () => (deps.now ?? (() => new Date()))().getTime(),
    });
    this.sessions = new Sessions(deps.store, deps.now);
  }

  get store(): Store {
    return this.#deps.store;
  }

  async signup(
    input: { email: string; password: string; inviteCode?: string; setupCode?: string | undefined },
    client: ClientInfo,
  ): Promise<SessionLogin> {
    const { store, limiter, signupMode } = this.#deps;
    if (signupMode === 'closed') {
      throw new AccountError('signup_closed', 'Sign-up is closed on this server. Ask an administrator.');
    }
    if (client.ip) {
      const key = `signup:ip:${client.ip}`;
      const state = await limiter.peek(key, this.#throttle.signupPerIp);
      await limiter.hit(key, this.#throttle.signupPerIp);
      if (state.limited) {
        throw new AccountError('rate_limited', 'Too many sign-ups from this address; try again later.', {
          retryAfterSeconds: state.retryAfterSeconds,
        });
      }
    }
    const user = await this.#createUser({
      email: input.email,
      password: input.password,
      inviteCode: input.inviteCode,
      requireInvite: signupMode === 'invite',
      // Only the first account needs it (checked under the creation lock); later ones ignore it.
      setupCode: input.setupCode,
      checkSetupCode: true,
    });
    const login = await this.sessions.create(user, client.userAgent ?? null);
    await audit(store, this.#deps.logger, 'signup', { userId: user.id, ip: client.ip });
    return login;
  }

  /** True while no account exists and the first web sign-up must bring the setup code. */
  async setupRequired(): Promise<boolean> {
    if (this.#deps.setupCode === undefined || this.#hasUsers) return false;
    this.#hasUsers = (await this.#deps.store.users.count()) > 0;
    return !this.#hasUsers;
  }

  /**
   * Creates an account without a session (`ponder user create`); audited as `user_created_cli`.
   * The first account ever becomes an admin unless `isAdmin` says otherwise.
   */
  async createUser(input: { email: string; password: string; isAdmin?: boolean }): Promise<AccountUser> {
    const user = await this.#createUser({ ...input, requireInvite: false });
    await audit(this.#deps.store, this.#deps.logger, 'user_created_cli', {
      userId: user.id,
      detail: { isAdmin: user.isAdmin },
    });
    return user;
  }

  /** The password is hashed before the email is checked, so a taken email costs the same as a new one. */
  async #createUser(input: {
    email: string;
    password: string;
    inviteCode?: string | undefined;
    requireInvite: boolean;
    isAdmin?: boolean | undefined;
    setupCode?: string | undefined;
    /** Web sign-ups: the first account needs the setup code. The CLI has the terminal already. */
    checkSetupCode?: boolean;
  }): Promise<AccountUser> {
    const { store, hasher } = this.#deps;
    const email = normaliseEmail(input.email);
    if (!isValidEmail(email)) {
      throw new AccountError('invalid_request', 'Enter a valid email address.', { field: 'email' });
    }
    const problem = await passwordProblem(input.password, { email });
    if (problem) throw new AccountError('weak_password', problem, { field: 'password' });
    let inviteCodeHash: string | undefined;
    if (input.requireInvite) {
      const code = input.inviteCode?.trim();
      if (!code) throw new AccountError('signup_closed', 'An invite code is required to sign up here.');
      inviteCodeHash = sha256Hex(code);
    }
    const passwordHash = await hasher.hash(input.password);
    // Serialised in-process so two simultaneous first sign-ups cannot both become admin.
    const previous = this.#creating;
    let release!: () => void;
    this.#creating = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      // Once an account exists the count is not needed again (it is a full scan on PostgreSQL).
      this.#hasUsers ||= (await store.users.count()) > 0;
      const expected = this.#deps.setupCode;
      if (!this.#hasUsers && input.checkSetupCode && expected !== undefined) {
        if (!setupCodeMatches(expected, input.setupCode)) {
          throw new AccountError(
            'signup_closed',
            input.setupCode
              ? 'The setup code is wrong. Use the code printed in the terminal where Ponder started.'
              : 'This server has no admin yet: enter the setup code printed in the terminal where Ponder ' +
                  'started (or create the admin with `ponder user create --admin`).',
            { field: 'setupCode' },
          );
        }
      }
      const isAdmin = input.isAdmin ?? !this.#hasUsers;
      const record = await store.users.create({
        email,
        passwordHash,
        plan: this.#deps.defaultPlan,
        isAdmin,
        ...(inviteCodeHash ? { inviteCodeHash } : {}),
      });
      this.#hasUsers = true;
      return toAccountUser(record);
    } catch (err) {
      if (err instanceof StoreError) {
        switch (err.code) {
          case 'conflict':
            throw new AccountError('email_taken', EMAIL_TAKEN, { field: 'email' });
          case 'invalid_invite':
            throw new AccountError('signup_closed', 'The invite code is invalid, used or expired.');
          case 'validation':
            throw new AccountError('invalid_request', err.message, { field: err.field ?? 'email' });
          default:
            break;
        }
      }
      throw err;
    } finally {
      release();
    }
  }

  /**
   * Enumeration-safe: unknown email, wrong password and disabled account answer alike. The attempt is
   * reserved before the password is checked (login-guard.ts); `deviceToken` is the device cookie to set.
   */
  async login(
    input: { email: string; password: string },
    client: LoginClient,
  ): Promise<SessionLogin & { deviceToken: string }> {
    const { store, hasher, logger } = this.#deps;
    const email = normaliseEmail(input.email);
    const admission = await this.#guard.admit(email, client);
    const { user, ok } = await this.#settled(admission, async () => {
      const user = isValidEmail(email) ? await store.users.byEmail(email) : null;
      const ok = user
        ? await hasher.verify(user.passwordHash, input.password)
        : await hasher.verifyDummy(input.password);
      return { user, ok };
    });
    if (!user || !ok || user.disabled) {
      await audit(store, logger, 'login_failed', {
        userId: user?.id ?? null,
        ip: client.ip,
        detail: { reason: !user ? 'unknown_account' : !ok ? 'wrong_password' : 'disabled' },
      });
      throw new AccountError('invalid_credentials', INVALID_CREDENTIALS);
    }
    await this.#guard.succeeded(admission);
    const login = await this.sessions.create(toAccountUser(user), client.userAgent ?? null);
    await audit(store, logger, 'login', { userId: user.id, ip: client.ip });
    return { ...login, deviceToken: this.#guard.deviceToken(email) };
  }

  /** Runs the password check; when it never ran (hasher overloaded, store down) the attempt is refunded. */
  async #settled<T>(admission: Admission, check: () => Promise<T>): Promise<T> {
    try {
      return await check();
    } catch (err) {
      await this.#guard.release(admission);
      throw err;
    }
  }

  async logout(session: SessionRecord, client: ClientInfo): Promise<void> {
    await this.#deps.store.sessions.delete(session.id, session.userId);
    await audit(this.#deps.store, this.#deps.logger, 'logout', { userId: session.userId, ip: client.ip });
  }

  async revokeSession(userId: string, sessionId: string, client: ClientInfo): Promise<boolean> {
    const ok = await this.#deps.store.sessions.delete(sessionId, userId);
    if (ok) await audit(this.#deps.store, this.#deps.logger, 'session_revoked', { userId, ip: client.ip });
    return ok;
  }

  async updateProfile(userId: string, patch: { displayName?: string | null }): Promise<AccountUser> {
    const displayName = patch.displayName === undefined ? undefined : patch.displayName?.trim() || null;
    const record = await this.#deps.store.users.update(
      userId,
      displayName === undefined ? {} : { displayName },
    );
    if (!record) throw new AccountError('not_found', 'Account not found.');
    return toAccountUser(record);
  }

  /**
   * Verifies the current password, stores the new one and ends every other session; with
   * `revokeApiKeys` also revokes every API key (a leaked password may have minted keys). Returns how
   * many keys were revoked.
   */
  async changePassword(
    userId: string,
    input: { currentPassword: string; newPassword: string; revokeApiKeys?: boolean | undefined },
    currentSessionId: string | undefined,
    client: ClientInfo,
  ): Promise<{ revokedApiKeys: number }> {
    const { store, hasher, logger } = this.#deps;
    const user = await this.#verifiedUser(userId, input.currentPassword, 'currentPassword');
    const problem = await passwordProblem(input.newPassword, user);
    if (problem) throw new AccountError('weak_password', problem, { field: 'newPassword' });
    const passwordHash = await hasher.hash(input.newPassword);
    await store.users.update(userId, { passwordHash });
    await store.sessions.deleteAllForUser(userId, currentSessionId);
    const revokedApiKeys = input.revokeApiKeys
      ? await new ApiKeys(store, logger).revokeAll(userId, { ip: client.ip, reason: 'password_changed' })
      : 0;
    await audit(store, logger, 'password_changed', {
      userId,
      ip: client.ip,
      detail: { revokedApiKeys },
    });
    return { revokedApiKeys };
  }

  /** Verifies the password, then erases the account and all its data. */
  async deleteAccount(
    userId: string,
    password: string,
    client: ClientInfo,
    /** The calling session (single sign-on accounts confirm from a fresh one, oidc-accounts.ts). */
    session?: SessionRecord,
  ): Promise<void> {
    const user = await this.#verifiedUser(userId, password, 'password', session);
    if (user.isAdmin) {
      // The last admin of an instance with other users would leave it unmanageable.
      const users = await this.#deps.store.users.list({ limit: 100_000 });
      const otherAdmins = users.filter((u) => u.isAdmin && !u.disabled && u.id !== userId);
      if (otherAdmins.length === 0 && users.length > 1) {
        throw new AccountError(
          'conflict',
          'You are the last admin: make another user admin before deleting your account.',
        );
      }
    }
    await this.eraseUser(userId, { event: 'account_deleted', actorId: userId, ip: client.ip });
  }

  /** Cancels the user's work (hooks), audits, then erases every row of the user. */
  async eraseUser(
    userId: string,
    how: { event: 'account_deleted' | 'admin_user_deleted'; actorId: string | null; ip: string | null },
  ): Promise<boolean> {
    const { store, hooks, logger } = this.#deps;
    const errors = await hooks.emitUserDeleted(userId);
    for (const err of errors) logger?.warn({ err: (err as Error)?.name }, 'user-deleted listener failed');
    await audit(store, logger, how.event, {
      userId: how.actorId === userId ? null : how.actorId,
      ip: how.ip,
      detail: { userId },
    });
    // The next sign-up recounts: if this was the last account, it becomes the admin.
    this.#hasUsers = false;
    return store.users.delete(userId);
  }

  async #verifiedUser(
    userId: string,
    password: string,
    field: string,
    session?: SessionRecord,
  ): Promise<UserRecord> {
    const { store, hasher } = this.#deps;
    const user = await store.users.byId(userId);
    if (!user) throw new AccountError('unauthenticated', 'Please log in again.');
    // Single sign-on (issue 14): an account without a password confirms from a fresh SSO session.
    if (user.passwordHash === NO_PASSWORD_HASH) {
      checkSsoConfirmation(user, password, session?.createdAt, (this.#deps.now ?? (() => new Date()))());
      return user;
    }
    const admission = await this.#guard.admitReauth(userId);
    if (!(await this.#settled(admission, () => hasher.verify(user.passwordHash, password)))) {
      throw new AccountError('invalid_request', 'The password is incorrect.', { field });
    }
    await this.#guard.succeeded(admission);
    return user;
  }
}
