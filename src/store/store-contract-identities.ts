/**
 * Store contract for single sign-on (issue 14): identities link (provider, subject) to one account,
 * SSO sessions remember the provider session they came from, back-channel logout ends exactly the
 * matching sessions, and deleting the account removes it all. Run by both dialects' store tests.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ContractEnv, newUser, storeError, uniq } from './store-contract.ts';
import type { Store } from './types.ts';

/** A live session of `userId` with no provider session behind it. */
function newSession(store: Store, userId: string) {
  return store.sessions.create({
    userId,
    tokenHash: `hash-${uniq()}`,
    expiresAt: new Date(Date.now() + 3_600_000),
  });
}

export function identitiesContract({ store: s }: ContractEnv): void {
  describe('identities', () => {
    test('link, find, touch, list and unlink; (provider, subject) is unique', async () => {
      const store = s();
      const user = await newUser(store, 'sso');
      const other = await newUser(store, 'sso-other');
      const subject = `sub-${uniq()}`;
      assert.equal(await store.identities.find('corp', subject), null);
      const identity = await store.identities.link({ userId: user.id, provider: 'corp', subject });
      const found = await store.identities.find('corp', subject);
      assert.equal(found?.identity.id, identity.id);
      assert.equal(found?.user.id, user.id);
      assert.equal(found?.user.email, user.email);
      // Same subject at another provider is another identity; the same pair cannot be linked twice.
      assert.equal(await store.identities.find('other-idp', subject), null);
      await assert.rejects(
        store.identities.link({ userId: other.id, provider: 'corp', subject }),
        storeError('conflict'),
      );
      await assert.rejects(
        store.identities.link({ userId: 'Zz9Zz9Zz9Zz9Zz9Zz9Zz9A', provider: 'corp', subject: `s-${uniq()}` }),
        storeError('not_found'),
      );
      const later = new Date(Date.now() + 60_000);
      await store.identities.touch(identity.id, later);
      assert.equal(
        (await store.identities.find('corp', subject))?.identity.lastLoginAt.getTime(),
        later.getTime(),
      );
      assert.deepEqual(
        (await store.identities.list(user.id)).map((i) => i.id),
        [identity.id],
      );
      assert.deepEqual(await store.identities.list(other.id), []);
      // Only the owner unlinks.
      assert.equal(await store.identities.unlink(identity.id, other.id), false);
      assert.equal(await store.identities.unlink(identity.id, user.id), true);
      assert.equal(await store.identities.find('corp', subject), null);
      // Oversize or NUL-bearing lookups are simply "none".
      assert.equal(await store.identities.find('corp', 'x'.repeat(10_000)), null);
      assert.equal(await store.identities.find('corp\0', subject), null);
    });

    test('back-channel logout ends the sessions of one provider session, or of one subject', async () => {
      const store = s();
      const user = await newUser(store, 'bcl');
      const subject = `sub-${uniq()}`;
      const session = async (sid: string | null, provider = 'corp') => {
        const created = await newSession(store, user.id);
        await store.identities.attachSession({
          sessionId: created.id,
          userId: user.id,
          provider,
          subject,
          sid,
        });
        return created;
      };
      const a1 = await session('sid-a');
      const a2 = await session('sid-a');
      const b = await session('sid-b');
      const elsewhere = await session('sid-a', 'other-idp');
      const local = await newSession(store, user.id);
      const live = async () => new Set((await store.sessions.list(user.id)).map((x) => x.id));

      assert.deepEqual(await store.identities.endSessions({ provider: 'corp', sid: 'sid-unknown' }), []);
      assert.deepEqual(await store.identities.endSessions({ provider: 'corp' }), []);
      assert.deepEqual(await store.identities.endSessions({ provider: 'corp', sid: 'sid-a' }), [user.id]);
      let ids = await live();
      assert.ok(!ids.has(a1.id) && !ids.has(a2.id));
      assert.ok(ids.has(b.id) && ids.has(elsewhere.id) && ids.has(local.id));
      // sid and sub both given: both must match.
      assert.deepEqual(
        await store.identities.endSessions({ provider: 'corp', sid: 'sid-b', subject: 'nobody' }),
        [],
      );
      assert.deepEqual(await store.identities.endSessions({ provider: 'corp', subject }), [user.id]);
      ids = await live();
      assert.ok(!ids.has(b.id));
      assert.ok(ids.has(elsewhere.id) && ids.has(local.id), 'other providers and password sessions stay');
      await assert.rejects(
        store.identities.attachSession({
          sessionId: 'Zz9Zz9Zz9Zz9Zz9Zz9Zz9A',
          userId: user.id,
          provider: 'corp',
          subject,
          sid: null,
        }),
        storeError('not_found'),
      );
    });

    test('deleting the account removes its identities and SSO sessions', async () => {
      const store = s();
      const user = await newUser(store, 'sso-del');
      const subject = `sub-${uniq()}`;
      await store.identities.link({ userId: user.id, provider: 'corp', subject });
      const created = await newSession(store, user.id);
      await store.identities.attachSession({
        sessionId: created.id,
        userId: user.id,
        provider: 'corp',
        subject,
        sid: 's',
      });
      assert.equal(await store.users.delete(user.id), true);
      assert.equal(await store.identities.find('corp', subject), null);
      assert.deepEqual(await store.identities.list(user.id), []);
      assert.deepEqual(await store.identities.endSessions({ provider: 'corp', subject }), []);
      // The subject is free again: a new account may link it.
      const next = await newUser(store, 'sso-next');
      await store.identities.link({ userId: next.id, provider: 'corp', subject });
    });
  });
}
