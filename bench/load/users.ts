/** Accounts over the documented web API: sign-up (with proof of work when asked), session cookies. */
import { randomBytes } from 'node:crypto';
import { errorCode, type HttpOptions, type HttpResult, http, retryAfterSeconds } from './http.ts';
import type { Instance } from './instances.ts';
import { setupCodeOf, sleep } from './instances.ts';
import type { PowPool } from './pow-pool.ts';

export const PASSWORD = 'load bench password 1234';

export interface BenchUser {
  id: string;
  email: string;
  /** `ponder_session=…` */
  cookie: string;
}

/** Headers for a cookie-authenticated, state-changing request to `instance`. */
export function authHeaders(instance: Instance, user: BenchUser): Record<string, string> {
  return { cookie: user.cookie, origin: instance.url };
}

export function sessionCookie(res: HttpResult): string | undefined {
  const raw = res.headers['set-cookie'] ?? [];
  for (const line of raw) {
    const m = /^(ponder_session=[^;]+)/.exec(line);
    if (m?.[1]) return m[1];
  }
  return undefined;
}

/** The challenge of a 428 `pow_required` answer (in `details`, or at the top of `error`). */
export function powChallenge(body: string): { challenge: string; difficulty: number } | undefined {
  try {
    const err = (
      JSON.parse(body) as {
        error?: {
          challenge?: unknown;
          difficulty?: unknown;
          details?: { challenge?: unknown; difficulty?: unknown };
        };
      }
    ).error;
    const src = err?.details?.challenge !== undefined ? err.details : err;
    if (typeof src?.challenge === 'string' && typeof src.difficulty === 'number') {
      return { challenge: src.challenge, difficulty: src.difficulty };
    }
  } catch {
    // Not JSON.
  }
  return undefined;
}

export interface SignupAttempt {
  res: HttpResult;
  /** 201 with a session cookie. */
  user?: BenchUser;
}

/** One POST /api/auth/signup. */
export function signupOnce(
  instance: Instance,
  email: string,
  pow: { challenge: string; nonce: string } | undefined,
  opts: Pick<HttpOptions, 'localAddress' | 'agent'> = {},
): Promise<SignupAttempt> {
  const setupCode = setupCodeOf(instance);
  return http(`${instance.url}/api/auth/signup`, {
    json: { email, password: PASSWORD, ...(pow ? { pow } : {}), ...(setupCode ? { setupCode } : {}) },
    headers: { origin: instance.url },
    agent: opts.agent ?? instance.agent,
    ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
  }).then((res) => {
    const cookie = res.status === 201 ? sessionCookie(res) : undefined;
    if (!cookie) return { res };
    const id = (JSON.parse(res.body) as { user?: { id?: string } }).user?.id ?? '';
    return { res, user: { id, email, cookie } };
  });
}

/**
 * Signs up `count` users for a chat scenario, solving proof of work and waiting out `Retry-After`
 * when asked (so a sign-up gate never blocks the scenario itself). Bounded by `deadlineMs`.
 */
export async function createUsers(
  instance: Instance,
  count: number,
  pool: PowPool,
  tag: string,
  deadlineMs = 120_000,
): Promise<BenchUser[]> {
  const run = randomBytes(3).toString('hex');
  const users: BenchUser[] = [];
  const deadline = Date.now() + deadlineMs;
  for (let i = 0; i < count; i++) {
    const email = `${tag}-${run}-${i}@bench.local`;
    let pow: { challenge: string; nonce: string } | undefined;
    for (;;) {
      if (Date.now() > deadline) throw new Error(`could not sign up ${count} users within ${deadlineMs} ms`);
      // A distinct loopback source per user keeps per-IP sign-up limits from blocking the set-up.
      const attempt = await signupOnce(instance, email, pow, {
        localAddress: `127.0.${100 + Math.floor(i / 250)}.${(i % 250) + 1}`,
      });
      if (attempt.user) {
        users.push(attempt.user);
        break;
      }
      const { res } = attempt;
      if (res.status === 428) {
        const c = powChallenge(res.body);
        if (!c) throw new Error(`428 without a challenge: ${res.body}`);
        pow = { challenge: c.challenge, nonce: await pool.solve(c.challenge, c.difficulty) };
        continue;
      }
      if (res.status === 429 || res.status === 503) {
        await sleep(Math.min(5, retryAfterSeconds(res.headers) ?? 1) * 1000);
        continue;
      }
      throw new Error(`sign-up failed: HTTP ${res.status} ${errorCode(res.body) ?? res.body.slice(0, 200)}`);
    }
  }
  return users;
}
