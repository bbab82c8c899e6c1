/**
 * Behaviour of the sign-up `PowGate` on a shared rate limiter and replay store: two gates (two
 * processes) see one sign-up rate and accept each solution once. Run by pow.test.ts on the in-process
 * primitives and by the Redis tests in src/adapters/redis/. Switching, expiry and forgery are tested on
 * one gate in pow.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type InstancePair, withPair } from './contract-pair.ts';
import { PowGate, solvePow } from './pow.ts';
import type { SharedPrimitives } from './types.ts';

const SECRET = 'shared-secret-0123456789';

function gate(shared: Pick<SharedPrimitives, 'rateLimiter' | 'counters'>): PowGate {
  return new PowGate({
    secret: SECRET,
    rateLimiter: shared.rateLimiter,
    replayStore: shared.counters,
    // A long window, so 4 sign-ups below stay above onRate even if a window boundary falls between them.
    windowMs: 3_600_000,
    onRate: 3,
    difficultyBits: 6,
  });
}

export function powGateContract(
  name: string,
  make: () => Promise<InstancePair<Pick<SharedPrimitives, 'rateLimiter' | 'counters'>>>,
): void {
  test(`${name}: sign-ups are counted and solutions used once across two gates`, () =>
    withPair(make, async (sa, sb) => {
      const a = gate(sa);
      const b = gate(sb);
      await a.recordSignup();
      await b.recordSignup();
      assert.equal(await a.isRequired(), false);
      await a.recordSignup();
      await b.recordSignup();
      assert.equal(await a.isRequired(), true);
      assert.equal(await b.isRequired(), true);
      const c = await a.challenge();
      assert.ok(c);
      const nonce = solvePow(c.challenge, c.difficulty);
      assert.deepEqual(await b.verify(c.challenge, nonce), { ok: true });
      assert.deepEqual(await a.verify(c.challenge, nonce), { ok: false, reason: 'replayed' });
    }));

  test(`${name}: one solution sent to both gates at once passes exactly once`, () =>
    withPair(make, async (sa, sb) => {
      const a = gate(sa);
      const b = gate(sb);
      const c = a.issue();
      const nonce = solvePow(c.challenge, c.difficulty);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).verify(c.challenge, nonce)),
      );
      assert.equal(results.filter((r) => r.ok).length, 1);
      assert.ok(results.filter((r) => !r.ok).every((r) => !r.ok && r.reason === 'replayed'));
    }));
}
