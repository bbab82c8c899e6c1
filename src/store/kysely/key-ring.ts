/**
 * Holds the master key and a bounded cache of unwrapped per-user keys, so a streaming update costs one
 * AES-GCM encryption and one UPDATE, not an unwrap and a SELECT.
 */
import { newDataKey, UserKeys, unwrapDataKey, wrapDataKey } from '../crypto/envelope.ts';
import type { Db } from './context.ts';

const CACHE_LIMIT = 10_000;

export class KeyRing {
  private readonly cache = new Map<string, UserKeys>();

  constructor(
    private master: Buffer,
    private version: number,
  ) {}

  get masterVersion(): number {
    return this.version;
  }

  /** A new data key for `userId`, wrapped under the current master key. */
  createUserKey(userId: string): { keys: UserKeys; wrapped: Buffer; keyVersion: number } {
    const dataKey = newDataKey();
    const wrapped = wrapDataKey(this.master, this.version, userId, dataKey);
    const keys = new UserKeys(dataKey);
    this.remember(userId, keys);
    return { keys, wrapped, keyVersion: this.version };
  }

  /** The user's keys, or `null` when the user does not exist. Throws `DecryptError` on a wrong master key. */
  async forUser(db: Db, userId: string): Promise<UserKeys | null> {
    const hit = this.cache.get(userId);
    if (hit) {
      this.cache.delete(userId);
      this.cache.set(userId, hit);
      return hit;
    }
    const row = await db
      .selectFrom('users')
      .select('wrapped_data_key')
      .where('id', '=', userId)
      .executeTakeFirst();
    if (!row) return null;
    const keys = new UserKeys(unwrapDataKey(this.master, userId, row.wrapped_data_key));
    this.remember(userId, keys);
    return keys;
  }

  /** Unwraps with the current master key and wraps with `next` (rotation). */
  rewrap(userId: string, wrapped: Uint8Array, next: Buffer, nextVersion: number): Buffer {
    return wrapDataKey(next, nextVersion, userId, unwrapDataKey(this.master, userId, wrapped));
  }

  setMaster(next: Buffer, nextVersion: number): void {
    this.master = next;
    this.version = nextVersion;
  }

  evict(userId: string): void {
    this.cache.delete(userId);
  }

  clear(): void {
    this.cache.clear();
  }

  private remember(userId: string, keys: UserKeys): void {
    this.cache.set(userId, keys);
    if (this.cache.size > CACHE_LIMIT) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
  }
}
