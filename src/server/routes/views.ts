import type { ApiAdminUser, ApiKeySummary, ApiSession, ApiUser } from '../../api/auth.ts';
import type { AccountUser } from '../../core/accounts/index.ts';
import type { ApiKeyRecord, SessionRecord } from '../../store/types.ts';

export function userView(user: AccountUser): ApiUser {
  return {
    id: user.id,
    email: user.email,
    displayName: user.displayName,
    isAdmin: user.isAdmin,
    plan: user.plan,
    createdAt: user.createdAt.toISOString(),
  };
}

export function adminUserView(user: AccountUser): ApiAdminUser {
  return {
    id: user.id,
    email: user.email,
    isAdmin: user.isAdmin,
    disabled: user.disabled,
    plan: user.plan,
    createdAt: user.createdAt.toISOString(),
  };
}

export function sessionView(session: SessionRecord, currentId: string | undefined): ApiSession {
  return {
    id: session.id,
    createdAt: session.createdAt.toISOString(),
    lastSeenAt: session.lastSeenAt.toISOString(),
    userAgent: session.userAgent,
    current: session.id === currentId,
  };
}

export function keyView(key: ApiKeyRecord): ApiKeySummary {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
  };
}
