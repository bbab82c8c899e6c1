import type { InviteRecord, Store, StoreLogger, UserRecord } from '../../store/types.ts';
import type { Accounts } from './accounts.ts';
import { audit } from './audit.ts';
import { AccountError } from './errors.ts';
import { newSecret, sha256Hex } from './tokens.ts';
import { type AccountUser, toAccountUser } from './types.ts';

/** Default lifetime of an invite code. */
export const INVITE_TTL_MS = 7 * 24 * 60 * 60_000;
const MAX_USERS_SCANNED = 100_000;

export interface AdminDeps {
  store: Store;
  accounts: Accounts;
  plans: readonly string[];
  logger?: StoreLogger;
}

/** Admin use cases: users, invites. Callers have already checked that the actor is an admin. */
export class Admin {
  readonly #deps: AdminDeps;

  constructor(deps: AdminDeps) {
    this.#deps = deps;
  }

  async listUsers(options: { limit?: number; offset?: number } = {}): Promise<AccountUser[]> {
    return (await this.#deps.store.users.list(options)).map(toAccountUser);
  }

  async updateUser(
    actorId: string | null,
    userId: string,
    patch: { isAdmin?: boolean; disabled?: boolean; plan?: string },
    ip: string | null = null,
  ): Promise<AccountUser> {
    const { store, plans, logger } = this.#deps;
    const user = await store.users.byId(userId);
    if (!user) throw new AccountError('not_found', 'No such user.');
    if (patch.plan !== undefined && !plans.includes(patch.plan)) {
      throw new AccountError('invalid_request', `Unknown plan; known plans: ${plans.join(', ')}.`, {
        field: 'plan',
      });
    }
    const losesAdmin = user.isAdmin && !user.disabled && (patch.isAdmin === false || patch.disabled === true);
    if (losesAdmin) await this.#assertNotLastAdmin(user);
    const record = await store.users.update(userId, patch);
    if (!record) throw new AccountError('not_found', 'No such user.');
    // A disabled user's sessions would be refused anyway; ending them frees the rows at once.
    if (patch.disabled === true) await store.sessions.deleteAllForUser(userId);
    await audit(store, logger, 'admin_user_updated', {
      userId: actorId,
      ip,
      detail: { target: userId, changes: Object.keys(patch) },
    });
    return toAccountUser(record);
  }

  async deleteUser(actorId: string | null, userId: string, ip: string | null = null): Promise<void> {
    const user = await this.#deps.store.users.byId(userId);
    if (!user) throw new AccountError('not_found', 'No such user.');
    if (user.isAdmin && !user.disabled) await this.#assertNotLastAdmin(user);
    await this.#deps.accounts.eraseUser(userId, { event: 'admin_user_deleted', actorId, ip });
  }

  async createInvite(
    actorId: string | null,
    options: { expiresInMs?: number } = {},
    ip: string | null = null,
  ): Promise<{ code: string; invite: InviteRecord }> {
    const code = newSecret();
    const invite = await this.#deps.store.invites.create({
      codeHash: sha256Hex(code),
      createdBy: actorId,
      expiresAt: new Date(Date.now() + (options.expiresInMs ?? INVITE_TTL_MS)),
    });
    await audit(this.#deps.store, this.#deps.logger, 'admin_invite_created', {
      userId: actorId,
      ip,
      detail: { inviteId: invite.id },
    });
    return { code, invite };
  }

  async #assertNotLastAdmin(user: UserRecord): Promise<void> {
    const users = await this.#deps.store.users.list({ limit: MAX_USERS_SCANNED });
    const others = users.filter((u) => u.isAdmin && !u.disabled && u.id !== user.id);
    if (others.length === 0) {
      throw new AccountError('conflict', 'This is the last active admin; make another user admin first.');
    }
  }
}
