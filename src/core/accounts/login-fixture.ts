/**
 * Test fixture for login throttling: `Accounts` on a real SQLite store with a hasher that counts
 * password checks (and takes a few ms, as argon2 does, so parallel attempts really overlap).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../store/index.ts';
import type { Store } from '../../store/types.ts';
import { Accounts } from './accounts.ts';
import { AccountHooks } from './hooks.ts';
import type { PasswordHasher } from './password-hasher.ts';
import { MemoryRateLimiter } from './rate-limiter.ts';
import type { AccountsDeps } from './types.ts';

export const OWNER = 'owner@example.com';
export const OWNER_PASSWORD = 'correct horse battery staple';

export interface LoginFixture {
  store: Store;
  /** Password checks so far (real and dummy). */
  verifies(): number;
  accounts(deps?: Partial<AccountsDeps>): Accounts;
  close(): Promise<void>;
}

export async function loginFixture(): Promise<LoginFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'ponder-login-'));
  const store = await openStore({ dataDir: dir, masterKey: 'c'.repeat(64) });
  let verifies = 0;
  const check = async (ok: boolean) => {
    verifies++;
    await new Promise((r) => setTimeout(r, 5));
    return ok;
  };
  const hasher = {
    hash: async (password: string) => `plain:${password}`,
    verify: (hash: string, password: string) => check(hash === `plain:${password}`),
    verifyDummy: () => check(false),
  } as unknown as PasswordHasher;
  await store.users.create({ email: OWNER, passwordHash: `plain:${OWNER_PASSWORD}`, plan: 'free' });
  return {
    store,
    verifies: () => verifies,
    accounts: (deps = {}) =>
      new Accounts({
        store,
        hasher,
        limiter: new MemoryRateLimiter(),
        hooks: new AccountHooks(),
        signupMode: 'open',
        defaultPlan: 'free',
        plans: ['free'],
        ...deps,
      }),
    async close() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
