/**
 * Single sign-on in the store: which identity at which OpenID provider is which account, and which
 * provider session (`sid`) each SSO session of Ponder came from (back-channel logout). Types only.
 */
import type { UserRecord } from './types.ts';

export interface IdentityRecord {
  id: string;
  userId: string;
  /** The provider's id in Ponder's config. */
  provider: string;
  /** The provider's `sub` claim: stable and unique per provider. */
  subject: string;
  createdAt: Date;
  lastLoginAt: Date;
}

export interface IdentityStore {
  /** The identity and its account, or `null`. */
  find(provider: string, subject: string): Promise<{ identity: IdentityRecord; user: UserRecord } | null>;
  /**
   * Links (provider, subject) to the user. Already linked (to anyone) → `StoreError('conflict')`;
   * unknown user → `StoreError('not_found')`.
   */
  link(input: { userId: string; provider: string; subject: string }): Promise<IdentityRecord>;
  /** Sets `lastLoginAt` (default now). */
  touch(id: string, at?: Date): Promise<void>;
  /** The user's identities, oldest first. */
  list(userId: string): Promise<IdentityRecord[]>;
  unlink(id: string, userId: string): Promise<boolean>;
  /** Records that this session came from the provider's session `sid` (may be null) of `subject`. */
  attachSession(input: {
    sessionId: string;
    userId: string;
    provider: string;
    subject: string;
    sid: string | null;
  }): Promise<void>;
  /**
   * Back-channel logout: ends (deletes) the provider's sessions matching `sid`, or every session of
   * `subject` when no `sid` is given (both given: both must match). Returns the user ids affected.
   */
  endSessions(input: { provider: string; sid?: string; subject?: string }): Promise<string[]>;
}
