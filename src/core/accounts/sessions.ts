import type { SessionRecord, Store } from '../../store/types.ts';
import { newSecret, sha256Hex } from './tokens.ts';
import {
  type AccountUser,
  SESSION_TOUCH_INTERVAL_MS,
  SESSION_TTL_MS,
  type SessionLogin,
  toAccountUser,
} from './types.ts';

const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

/** Session tokens: 256 random bits in the cookie, only their SHA-256 in the store. */
export class Sessions {
  readonly #store: Store;
  readonly #now: () => Date;

  constructor(store: Store, now: () => Date = () => new Date()) {
    this.#store = store;
    this.#now = now;
  }

  async create(user: AccountUser, userAgent: string | null): Promise<SessionLogin> {
    const token = newSecret();
    const session = await this.#store.sessions.create({
      userId: user.id,
      tokenHash: sha256Hex(token),
      userAgent: userAgent ? userAgent.replace(/\0/g, '').slice(0, 300) : null,
      expiresAt: new Date(this.#now().getTime() + SESSION_TTL_MS),
    });
    return { user, token, session };
  }

  /**
   * The live session and user for a cookie value, or `null` for a malformed, unknown, expired or
   * disabled one. Extends the sliding expiry at most every few minutes to spare the database.
   */
  async authenticate(token: string): Promise<{ user: AccountUser; session: SessionRecord } | null> {
    if (!TOKEN_RE.test(token)) return null;
    const found = await this.#store.sessions.byTokenHash(sha256Hex(token));
    if (!found || found.user.disabled) return null;
    const now = this.#now();
    if (found.session.expiresAt.getTime() <= now.getTime()) return null;
    if (now.getTime() - found.session.lastSeenAt.getTime() >= SESSION_TOUCH_INTERVAL_MS) {
      const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
      await this.#store.sessions.touch(found.session.id, { lastSeenAt: now, expiresAt });
      found.session = { ...found.session, lastSeenAt: now, expiresAt };
    }
    return { user: toAccountUser(found.user), session: found.session };
  }

  list(userId: string): Promise<SessionRecord[]> {
    return this.#store.sessions.list(userId);
  }
}
