/**
 * Proof-of-work gate for sign-up floods (SHA-256 hashcash).
 *
 * The gate watches the sign-up rate (sliding window, shared across processes when the rate limiter is
 * Redis). Above `onRate` it switches on: sign-ups then need a solved challenge; below `offRate` (and
 * after `minOnMs`) it switches off again. A challenge is `v1.<expiresAt>.<difficulty>.<random>.<hmac>`,
 * HMAC-SHA256-signed with the server secret, so the server keeps no state until a solution arrives;
 * a solution is used once (replay marks live until the challenge would expire anyway).
 *
 * Solving (browser or CLI): find a `nonce` (1–64 chars of `A-Za-z0-9_-`, e.g. a counter in decimal)
 * such that SHA-256(UTF-8 of `${challenge}:${nonce}`) starts with `difficulty` zero bits.
 * 16 bits ≈ 65 000 hashes on average (~0.2 s measured here); 18 bits took ~0.64 s.
 *
 * Wiring (server, POST /api/signup): `await gate.recordSignup()` on every attempt; when
 * `await gate.isRequired()` and the body has no valid `pow` → 428 `pow_required` with
 * `await gate.issue()`; `GET /api/pow` → `{ required, ...(required ? await gate.issue() : {}) }`;
 * check a submitted `pow` with `await gate.verify(pow.challenge, pow.nonce)`.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { type Clock, systemClock } from '../admission/clock.ts';
import { MemoryCounterStore, MemoryRateLimiter } from './memory.ts';
import type { CounterStore, RateLimiter } from './types.ts';

export interface PowGateOptions {
  /** HMAC key for challenges, at least 16 bytes; the same on every process. */
  secret: string | Uint8Array;
  /** Where sign-ups are counted; default in-process. A shared one (Redis, src/adapters/redis/) counts across processes. */
  rateLimiter?: RateLimiter;
  /** Where used challenges are marked; default in-process. A shared one blocks replays across processes. */
  replayStore?: CounterStore;
  clock?: Clock;
  /** Sliding window of the sign-up rate. Default 60 000 ms. */
  windowMs?: number;
  /** Sign-ups per window that switch the gate on. Default 20. */
  onRate?: number;
  /** Below this many sign-ups per window it switches off again. Default half of `onRate`. */
  offRate?: number;
  /** Once on, it stays on at least this long (no flapping). Default `windowMs`. */
  minOnMs?: number;
  /** Leading zero bits required. Default 18. */
  difficultyBits?: number;
  /** How long a challenge may be solved. Default 300 000 ms. */
  challengeTtlMs?: number;
  /** Key prefix in the rate limiter and replay store. Default `pow:`. */
  keyPrefix?: string;
}

export interface PowChallenge {
  challenge: string;
  difficulty: number;
  /** Epoch ms. */
  expiresAt: number;
}

export type PowFailure = 'malformed' | 'bad_signature' | 'expired' | 'insufficient_work' | 'replayed';
export type PowVerifyResult = { ok: true } | { ok: false; reason: PowFailure };

const NONCE = /^[A-Za-z0-9_-]{1,64}$/;
const CHALLENGE = /^v1\.([0-9a-z]{1,12})\.([0-9]{1,2})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

export class PowGate {
  readonly #secret: Buffer;
  readonly #rate: RateLimiter;
  readonly #replay: CounterStore;
  readonly #clock: Clock;
  readonly #windowMs: number;
  readonly #onRate: number;
  readonly #offRate: number;
  readonly #minOnMs: number;
  readonly #difficulty: number;
  readonly #ttlMs: number;
  readonly #prefix: string;
  #active = false;
  #activeSince = 0;

  constructor(opts: PowGateOptions) {
    this.#secret = Buffer.from(opts.secret);
    if (this.#secret.length < 16) throw new RangeError('PowGate secret must be at least 16 bytes');
    this.#clock = opts.clock ?? systemClock;
    this.#rate = opts.rateLimiter ?? new MemoryRateLimiter({ clock: this.#clock });
    this.#replay = opts.replayStore ?? new MemoryCounterStore({ clock: this.#clock });
    this.#windowMs = opts.windowMs ?? 60_000;
    this.#onRate = opts.onRate ?? 20;
    this.#offRate = Math.min(opts.offRate ?? this.#onRate / 2, this.#onRate);
    this.#minOnMs = opts.minOnMs ?? this.#windowMs;
    this.#difficulty = opts.difficultyBits ?? 16;
    if (!Number.isInteger(this.#difficulty) || this.#difficulty < 1 || this.#difficulty > 32) {
      throw new RangeError('difficultyBits must be a whole number from 1 to 32');
    }
    this.#ttlMs = opts.challengeTtlMs ?? 300_000;
    this.#prefix = opts.keyPrefix ?? 'pow:';
  }

  /** Counts one sign-up attempt. */
  async recordSignup(): Promise<void> {
    await this.#rate.hit(`${this.#prefix}signups`, {
      limit: Number.POSITIVE_INFINITY,
      windowMs: this.#windowMs,
    });
  }

  /** Whether sign-ups need a proof of work now (with hysteresis: on at `onRate`, off below `offRate`). */
  async isRequired(): Promise<boolean> {
    const rate = await this.#rate.peek(`${this.#prefix}signups`, this.#windowMs);
    const now = this.#clock.now();
    if (!this.#active && rate >= this.#onRate) {
      this.#active = true;
      this.#activeSince = now;
    } else if (this.#active && rate < this.#offRate && now - this.#activeSince >= this.#minOnMs) {
      this.#active = false;
    }
    return this.#active;
  }

  /** A challenge when the gate is on, otherwise null. */
  async challenge(): Promise<PowChallenge | null> {
    return (await this.isRequired()) ? this.issue() : null;
  }

  /** A fresh signed challenge (whether or not the gate is on). */
  issue(): PowChallenge {
    const expiresAt = this.#clock.now() + this.#ttlMs;
    const body = `v1.${expiresAt.toString(36)}.${this.#difficulty}.${randomBytes(16).toString('base64url')}`;
    return { challenge: `${body}.${this.#sign(body)}`, difficulty: this.#difficulty, expiresAt };
  }

  /** Checks signature, expiry, work and single use. Never throws on bad input. */
  async verify(challenge: unknown, nonce: unknown): Promise<PowVerifyResult> {
    if (typeof challenge !== 'string' || typeof nonce !== 'string' || !NONCE.test(nonce)) {
      return { ok: false, reason: 'malformed' };
    }
    const m = CHALLENGE.exec(challenge);
    if (!m) return { ok: false, reason: 'malformed' };
    const [, exp36, difficultyText, random, mac] = m as unknown as [string, string, string, string, string];
    const body = challenge.slice(0, challenge.length - mac.length - 1);
    const expected = Buffer.from(this.#sign(body), 'base64url');
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return { ok: false, reason: 'bad_signature' };
    }
    const expiresAt = Number.parseInt(exp36, 36);
    const now = this.#clock.now();
    if (!(expiresAt > now)) return { ok: false, reason: 'expired' };
    if (leadingZeroBits(powHash(challenge, nonce)) < Number(difficultyText)) {
      return { ok: false, reason: 'insufficient_work' };
    }
    const fresh = await this.#replay.claim(`${this.#prefix}used:${random}`, expiresAt - now + 1000);
    return fresh ? { ok: true } : { ok: false, reason: 'replayed' };
  }

  #sign(body: string): string {
    return createHmac('sha256', this.#secret).update(body).digest('base64url');
  }
}

export function powHash(challenge: string, nonce: string): Buffer {
  return createHash('sha256').update(`${challenge}:${nonce}`, 'utf8').digest();
}

export function leadingZeroBits(hash: Uint8Array): number {
  let bits = 0;
  for (const byte of hash) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

/** Finds a nonce (decimal counter) for a challenge. For tests and the CLI; browsers do the same with WebCrypto. */
export function solvePow(challenge: string, difficulty: number, maxTries = 1 << 30): string {
  for (let i = 0; i < maxTries; i++) {
    const nonce = i.toString(10);
    if (leadingZeroBits(powHash(challenge, nonce)) >= difficulty) return nonce;
  }
  throw new Error('no proof-of-work solution found within maxTries');
}
