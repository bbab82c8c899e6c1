import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStore } from '../../store/index.ts';
import { Sessions } from './sessions.ts';
import { sha256Hex } from './tokens.ts';
import { SESSION_TTL_MS, toAccountUser } from './types.ts';

test('sessions: token stored hashed, sliding expiry, lastSeenAt written at most every few minutes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ponder-sessions-'));
  try {
    await using store = await openStore({ dataDir: dir, masterKey: 'b'.repeat(64) });
    const user = await store.users.create({ email: 's@example.com', passwordHash: 'x', plan: 'free' });
    // The store stamps createdAt/lastSeenAt with the real clock; the test clock starts there.
    let now = new Date();
    const sessions = new Sessions(store, () => now);
    const login = await sessions.create(toAccountUser(user), 'agent\u0000x');
    assert.match(login.token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(login.session.tokenHash, sha256Hex(login.token));
    assert.equal(login.session.userAgent, 'agentx');

    const [stored] = await store.sessions.list(user.id);
    const createdSeen = stored?.lastSeenAt.getTime();

    now = new Date(now.getTime() + 60_000);
    let found = await sessions.authenticate(login.token);
    assert.equal(found?.user.id, user.id);
    assert.equal(
      (await store.sessions.list(user.id))[0]?.lastSeenAt.getTime(),
      createdSeen,
      'not touched yet',
    );

    now = new Date(now.getTime() + 10 * 60_000);
    found = await sessions.authenticate(login.token);
    const [touched] = await store.sessions.list(user.id);
    assert.equal(touched?.lastSeenAt.getTime(), now.getTime());
    assert.equal(touched?.expiresAt.getTime(), now.getTime() + SESSION_TTL_MS);

    assert.equal(await sessions.authenticate('A'.repeat(43)), null);
    assert.equal(await sessions.authenticate(`${login.token}=`), null);
    now = new Date(now.getTime() + SESSION_TTL_MS + 1);
    assert.equal(await sessions.authenticate(login.token), null, 'expired');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
