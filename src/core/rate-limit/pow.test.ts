import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from '../admission/clock.ts';
import { MemoryCounterStore, MemoryRateLimiter, memoryPrimitives } from './memory.ts';
import { leadingZeroBits, PowGate, type PowGateOptions, powHash, solvePow } from './pow.ts';
import { powGateContract } from './pow-gate-contract.ts';

const SECRET = 'test-secret-0123456789abcdef';

// One process: both gates count on the same in-process primitives.
powGateContract('memory', async () => {
  const shared = memoryPrimitives();
  return { a: shared, b: shared, close: async () => await shared[Symbol.asyncDispose]() };
});

function gate(extra: Partial<PowGateOptions> = {}) {
  const clock = new ManualClock(Date.parse('2026-05-01T12:00:00Z'));
  const g = new PowGate({
    secret: SECRET,
    clock,
    rateLimiter: new MemoryRateLimiter({ clock }),
    replayStore: new MemoryCounterStore({ clock }),
    windowMs: 60_000,
    onRate: 10,
    offRate: 4,
    minOnMs: 30_000,
    difficultyBits: 10,
    challengeTtlMs: 120_000,
    ...extra,
  });
  return { g, clock };
}

describe('PowGate switching', () => {
  test('off at a normal rate, on above onRate, off again once the rate falls (with hysteresis)', async () => {
    const { g, clock } = gate();
    for (let i = 0; i < 9; i++) await g.recordSignup();
    assert.equal(await g.isRequired(), false);
    assert.equal(await g.challenge(), null);
    await g.recordSignup();
    assert.equal(await g.isRequired(), true);
    const c = await g.challenge();
    assert.ok(c);
    assert.equal(c.difficulty, 10);
    assert.equal(c.expiresAt, clock.now() + 120_000);
    // Half a window later the rate is ~5: below onRate but not below offRate → stays on.
    clock.advance(90_000);
    assert.equal(await g.isRequired(), true);
    // Two windows later nothing is left → off.
    clock.advance(60_000);
    assert.equal(await g.isRequired(), false);
  });

  test('stays on for minOnMs even when the flood stops at once', async () => {
    const { g, clock } = gate({ minOnMs: 200_000 });
    for (let i = 0; i < 10; i++) await g.recordSignup();
    assert.equal(await g.isRequired(), true);
    clock.advance(150_000);
    assert.equal(await g.isRequired(), true);
    clock.advance(50_000);
    assert.equal(await g.isRequired(), false);
  });

  test('rejects a short secret and a silly difficulty', () => {
    assert.throws(() => new PowGate({ secret: 'short' }), /16 bytes/);
    assert.throws(() => new PowGate({ secret: SECRET, difficultyBits: 0 }), /difficultyBits/);
  });
});

describe('PowGate.verify', () => {
  test('a solved challenge passes once; a replay is refused', async () => {
    const { g } = gate();
    const c = g.issue();
    const nonce = solvePow(c.challenge, c.difficulty);
    assert.ok(leadingZeroBits(powHash(c.challenge, nonce)) >= 10);
    assert.deepEqual(await g.verify(c.challenge, nonce), { ok: true });
    assert.deepEqual(await g.verify(c.challenge, nonce), { ok: false, reason: 'replayed' });
  });

  test('too little work is refused without using up the challenge', async () => {
    const { g } = gate();
    const c = g.issue();
    let bad = 0;
    while (leadingZeroBits(powHash(c.challenge, String(bad))) >= 10) bad++;
    assert.deepEqual(await g.verify(c.challenge, String(bad)), { ok: false, reason: 'insufficient_work' });
    assert.deepEqual(await g.verify(c.challenge, solvePow(c.challenge, 10)), { ok: true });
  });

  test('expired challenges are refused', async () => {
    const { g, clock } = gate();
    const c = g.issue();
    const nonce = solvePow(c.challenge, c.difficulty);
    clock.advance(120_000);
    assert.deepEqual(await g.verify(c.challenge, nonce), { ok: false, reason: 'expired' });
  });

  test('forged or tampered challenges are refused', async () => {
    const { g } = gate();
    const c = g.issue();
    const [v, exp, , random, mac] = c.challenge.split('.');
    // Lowering the difficulty breaks the signature.
    const easier = `${v}.${exp}.1.${random}.${mac}`;
    assert.deepEqual(await g.verify(easier, solvePow(easier, 1)), { ok: false, reason: 'bad_signature' });
    // Extending the expiry too.
    const later = `${v}.${(Number.parseInt(exp!, 36) + 1e9).toString(36)}.10.${random}.${mac}`;
    assert.deepEqual(await g.verify(later, solvePow(later, 10)), { ok: false, reason: 'bad_signature' });
    // A challenge signed with another secret.
    const other = new PowGate({ secret: 'another-secret-0123456789', difficultyBits: 4 }).issue();
    assert.deepEqual(await g.verify(other.challenge, solvePow(other.challenge, 4)), {
      ok: false,
      reason: 'bad_signature',
    });
  });

  test('malformed input never throws', async () => {
    const { g } = gate();
    const c = g.issue();
    for (const [challenge, nonce] of [
      ['', '1'],
      ['v1.x.y', '1'],
      [c.challenge, ''],
      [c.challenge, 'x'.repeat(65)],
      [c.challenge, 'a b'],
      [c.challenge, 42],
      [null, '1'],
      [`${c.challenge}\u0000`, '1'],
    ] as const) {
      assert.deepEqual(await g.verify(challenge, nonce), { ok: false, reason: 'malformed' });
    }
  });

  test('leadingZeroBits', () => {
    assert.equal(leadingZeroBits(Uint8Array.from([0, 0, 0x80])), 16);
    assert.equal(leadingZeroBits(Uint8Array.from([0, 0x01])), 15);
    assert.equal(leadingZeroBits(Uint8Array.from([0xff])), 0);
    assert.equal(leadingZeroBits(Uint8Array.from([0, 0])), 16);
  });
});
