/**
 * Who may try a password now, following OWASP's brute-force guidance:
 * - a browser with a valid device cookie for the account is counted under its own key only, so a
 *   stranger's failures never lock the owner's known device out;
 * - anyone else is counted per (account, client IP) with a flat limit, per client IP, and against a
 *   per-account ceiling beyond which the attempt needs a solved proof of work (slowing a distributed
 *   guesser down without locking the owner out on a new device).
 * Every attempt is reserved before the password is checked (see login-throttle.ts).
 */
import { deviceIdOf, issueDeviceToken } from './device-token.ts';
import { AccountError } from './errors.ts';
import type { LoginThrottle, Reservation, ThrottleEntry } from './login-throttle.ts';
import { sha256Hex } from './tokens.ts';
import type { LoginClient, ThrottleRules } from './types.ts';

/** The challenge side of a proof-of-work gate (`PowGate` fits). */
export interface LoginPow {
  issue(): { challenge: string; difficulty: number };
  verify(challenge: unknown, nonce: unknown): Promise<{ ok: true } | { ok: false; reason: string }>;
}

/** A reserved attempt: settle it with `succeeded` or `release`; a failure just keeps it. */
export interface Admission {
  reservation: Reservation;
  /** The key of this client's own failures (pair or device), forgiven after a success. */
  ownKey: string;
}

export interface LoginGuardOptions {
  throttle: LoginThrottle;
  rules: ThrottleRules;
  pow: LoginPow;
  deviceSecret: Uint8Array;
  now: () => number;
}

const TOO_MANY = 'Too many failed logins; try again later.';

export class LoginGuard {
  readonly #o: LoginGuardOptions;

  constructor(options: LoginGuardOptions) {
    this.#o = options;
  }

  /** Reserves a login attempt for the (normalised) email, or throws `rate_limited` / `pow_required`. */
  async admit(email: string, client: LoginClient): Promise<Admission> {
    const { throttle, rules, deviceSecret, now } = this.#o;
    const account = sha256Hex(email);
    const device = deviceIdOf(deviceSecret, account, client.deviceToken, now());
    if (device) {
      const ownKey = `login:dev:${device}`;
      return { reservation: await this.#reserve([{ key: ownKey, rule: rules.loginPerAccount }]), ownKey };
    }
    // Checked first so a bad solution costs nothing; a good one is spent even if a limit refuses below.
    const solved = client.pow ? await this.#checkPow(client.pow) : false;
    const ownKey = `login:pair:${account}:${client.ip ?? '-'}`;
    const entries: ThrottleEntry[] = [
      { key: `login:acct:${account}`, rule: rules.loginAccountCeiling, soft: true },
      { key: ownKey, rule: rules.loginPerAccount },
    ];
    if (client.ip) entries.push({ key: `login:ip:${client.ip}`, rule: rules.loginPerIp });
    const reservation = await this.#reserve(entries);
    if (!solved && (reservation.counts[0] ?? 0) >= rules.loginAccountCeiling.limit) {
      await throttle.refund(reservation);
      throw this.#powRequired(
        'This account has had many failed logins: solve the proof-of-work challenge and retry.',
      );
    }
    return { reservation, ownKey };
  }

  /** Re-checking the password of a signed-in user (password change, account deletion). */
  async admitReauth(userId: string): Promise<Admission> {
    const ownKey = `login:reauth:${userId}`;
    const entry = { key: ownKey, rule: this.#o.rules.loginPerAccount };
    const reservation = await this.#o.throttle.reserve([entry]);
    if (!reservation.allowed) {
      throw new AccountError('rate_limited', 'Too many failed attempts; try again later.', {
        retryAfterSeconds: reservation.retryAfterSeconds,
      });
    }
    return { reservation, ownKey };
  }

  /** The password was right: the attempt is refunded, this client's failures forgotten. */
  async succeeded(admission: Admission): Promise<void> {
    await this.#o.throttle.refund(admission.reservation);
    await this.#o.throttle.reset(admission.ownKey);
  }

  /** The password was never checked (e.g. the hasher was overloaded): the attempt does not count. */
  async release(admission: Admission): Promise<void> {
    await this.#o.throttle.refund(admission.reservation);
  }

  /** A device cookie for the account, to set after a successful login. */
  deviceToken(email: string): string {
    return issueDeviceToken(this.#o.deviceSecret, sha256Hex(email), this.#o.now());
  }

  async #reserve(entries: ThrottleEntry[]): Promise<Reservation> {
    const reservation = await this.#o.throttle.reserve(entries);
    if (!reservation.allowed) {
      throw new AccountError('rate_limited', TOO_MANY, { retryAfterSeconds: reservation.retryAfterSeconds });
    }
    return reservation;
  }

  async #checkPow(pow: { challenge: string; nonce: string }): Promise<true> {
    const result = await this.#o.pow.verify(pow.challenge, pow.nonce);
    if (result.ok) return true;
    throw this.#powRequired(
      `The proof of work was not accepted (${result.reason}); solve the new challenge and retry.`,
    );
  }

  #powRequired(message: string): AccountError {
    const { challenge, difficulty } = this.#o.pow.issue();
    return new AccountError('pow_required', message, { details: { challenge, difficulty } });
  }
}
