import type { ApiKeyRecord, Store, StoreLogger } from '../../store/types.ts';
import { audit } from './audit.ts';
import { AccountError } from './errors.ts';
import { newSecret, sha256Hex } from './tokens.ts';
import { type AccountUser, toAccountUser } from './types.ts';

/** `pk-` + 43 base64url characters (32 random bytes). */
const KEY_RE = /^pk-[A-Za-z0-9_-]{43}$/;
/** `lastUsedAt` is written at most this often per key. */
const TOUCH_INTERVAL_MS = 60_000;

export interface CreatedApiKey {
  record: ApiKeyRecord;
  /** The whole key; shown once. */
  key: string;
}

export interface ApiKeyPrincipal {
  user: AccountUser;
  apiKey: ApiKeyRecord;
}

/** API keys for the OpenAI-compatible `/v1` API: stored as SHA-256, listed by prefix only. */
export class ApiKeys {
  readonly #store: Store;
  readonly #logger: StoreLogger | undefined;

  constructor(store: Store, logger?: StoreLogger) {
    this.#store = store;
    this.#logger = logger;
  }

  async create(userId: string, name: string, ip: string | null = null): Promise<CreatedApiKey> {
    const trimmed = name.trim();
    if (trimmed === '' || trimmed.length > 100 || trimmed.includes('\0')) {
      throw new AccountError('invalid_request', 'The key name must have 1 to 100 characters.', {
        field: 'name',
      });
    }
    const key = `pk-${newSecret()}`;
    const record = await this.#store.apiKeys.create({
      userId,
      name: trimmed,
      prefix: key.slice(0, 9),
      keyHash: sha256Hex(key),
    });
    await audit(this.#store, this.#logger, 'api_key_created', { userId, ip, detail: { keyId: record.id } });
    return { record, key };
  }

  list(userId: string): Promise<ApiKeyRecord[]> {
    return this.#store.apiKeys.list(userId);
  }

  async revoke(userId: string, id: string, ip: string | null = null): Promise<boolean> {
    const ok = await this.#store.apiKeys.revoke(id, userId);
    if (ok) await audit(this.#store, this.#logger, 'api_key_revoked', { userId, ip, detail: { keyId: id } });
    return ok;
  }

  /** Revokes every live key of the user, each audited with `reason`; returns how many. */
  async revokeAll(userId: string, how: { ip: string | null; reason: string }): Promise<number> {
    let revoked = 0;
    for (const key of await this.#store.apiKeys.list(userId)) {
      if (!(await this.#store.apiKeys.revoke(key.id, userId))) continue;
      revoked++;
      await audit(this.#store, this.#logger, 'api_key_revoked', {
        userId,
        ip: how.ip,
        detail: { keyId: key.id, reason: how.reason },
      });
    }
    return revoked;
  }

  /** The key's owner, or `null` for a malformed, unknown or revoked key or a disabled user. Touches last use. */
  async authenticate(raw: string): Promise<ApiKeyPrincipal | null> {
    if (!KEY_RE.test(raw)) return null;
    const found = await this.#store.apiKeys.byHash(sha256Hex(raw));
    if (!found || found.user.disabled || found.apiKey.revokedAt) return null;
    const now = new Date();
    const last = found.apiKey.lastUsedAt?.getTime() ?? 0;
    if (now.getTime() - last >= TOUCH_INTERVAL_MS) {
      await this.#store.apiKeys.touch(found.apiKey.id, now);
      found.apiKey = { ...found.apiKey, lastUsedAt: now };
    }
    return { user: toAccountUser(found.user), apiKey: found.apiKey };
  }
}

/** Convenience for the `/v1` API: `authenticateApiKey(store, raw)` → principal or `null`. */
export function authenticateApiKey(store: Store, raw: string): Promise<ApiKeyPrincipal | null> {
  return new ApiKeys(store).authenticate(raw);
}
