/**
 * (a) Sign-up flood: N sign-ups at concurrency C against one instance, from `signupIps` loopback
 * source addresses. A 428 is answered by solving the challenge (worker threads) and retrying; a 429 by
 * waiting its `Retry-After` (within the time bound) and retrying the same account.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { newAgent, retryAfterSeconds } from './http.ts';
import { type Instance, sleep } from './instances.ts';
import type { LoadOptions } from './options.ts';
import type { PowPool } from './pow-pool.ts';
import { countBy, ms, percentile, type Section, verdict } from './stats.ts';
import { powChallenge, signupOnce } from './users.ts';

interface Attempt {
  status: number;
  ms: number;
  retryAfter: boolean;
}

function sourceAddress(k: number, ips: number): string {
  if (ips <= 1) return '127.0.0.1';
  return `127.1.${Math.floor(k / 250)}.${(k % 250) + 1}`;
}

export async function signupFlood(instance: Instance, opts: LoadOptions, pool: PowPool): Promise<Section> {
  const run = randomBytes(3).toString('hex');
  const attempts: Attempt[] = [];
  const errors: string[] = [];
  let next = 0;
  let accepted = 0;
  let powAsked = 0;
  const agent = newAgent();
  const start = performance.now();
  const until = start + opts.signupSeconds * 1000;
  const solvedBefore = pool.solved;
  const solveMsBefore = pool.solveMs;

  const worker = async (w: number): Promise<void> => {
    const localAddress = sourceAddress(w % opts.signupIps, opts.signupIps);
    for (;;) {
      const i = next++;
      if (i >= opts.signups || performance.now() >= until) return;
      const email = `flood-${run}-${i}@bench.local`;
      let pow: { challenge: string; nonce: string } | undefined;
      while (performance.now() < until) {
        let res: Awaited<ReturnType<typeof signupOnce>>['res'];
        try {
          res = (await signupOnce(instance, email, pow, { localAddress, agent })).res;
        } catch (err) {
          errors.push((err as Error).message);
          attempts.push({ status: 0, ms: 0, retryAfter: false });
          break;
        }
        const ra = retryAfterSeconds(res.headers);
        attempts.push({ status: res.status, ms: res.ms, retryAfter: ra !== undefined });
        if (res.status === 201) {
          accepted++;
          break;
        }
        if (res.status === 428) {
          powAsked++;
          const c = powChallenge(res.body);
          if (!c) break;
          pow = { challenge: c.challenge, nonce: await pool.solve(c.challenge, c.difficulty) };
          continue;
        }
        if (res.status === 429 && ra !== undefined) {
          const left = until - performance.now();
          await sleep(Math.max(0, Math.min(ra * 1000, left)));
          continue;
        }
        break; // Any other answer is a failure of this sign-up.
      }
    }
  };
  await Promise.all(Array.from({ length: opts.signupConcurrency }, (_, w) => worker(w)));
  const elapsed = (performance.now() - start) / 1000;
  agent.destroy();

  const acceptable = (a: Attempt): boolean =>
    a.status === 201 || a.status === 428 || (a.status === 429 && a.retryAfter);
  const bad = attempts.filter((a) => !acceptable(a));
  const rate = accepted / elapsed;
  const solved = pool.solved - solvedBefore;
  const okLat = attempts.filter((a) => a.status === 201).map((a) => a.ms);
  const allLat = attempts.filter((a) => a.status !== 0).map((a) => a.ms);
  const throttled = attempts.filter((a) => a.status === 429).length;
  return {
    title: '(a) sign-up flood',
    notes: [
      `${opts.signups} sign-ups offered at concurrency ${opts.signupConcurrency} from ${opts.signupIps} loopback address(es), bounded to ${opts.signupSeconds} s; 428 → solve PoW (${opts.powWorkers} worker threads) and retry; 429 → wait Retry-After and retry`,
    ],
    rows: [
      ['sign-ups accepted', `${opts.signups}`, `${accepted} in ${elapsed.toFixed(1)} s`, ''],
      ['accepted / s', '≥ 50', rate.toFixed(1), verdict(rate >= 50)],
      ['failures other than 428 / 429+Retry-After', '0', String(bad.length), verdict(bad.length === 0)],
      [
        '  by status',
        '',
        countBy(bad, (a) =>
          a.status === 0 ? 'network' : `${a.status}${a.status === 429 ? ' (no Retry-After)' : ''}`,
        ),
        '',
      ],
      [
        'attempts (HTTP requests)',
        '',
        `${attempts.length}: ${countBy(attempts, (a) => String(a.status))}`,
        '',
      ],
      [
        'PoW: 428 answers / solved',
        'on under flood',
        powAsked === 0
          ? 'n/a: not wired (no 428)'
          : `${powAsked} / ${solved}, ${((pool.solveMs - solveMsBefore) / Math.max(1, solved)).toFixed(0)} ms per solve`,
        powAsked === 0 ? 'n/a' : '',
      ],
      [
        '429 rate-limited answers',
        '',
        throttled === 0 ? 'none (per-IP limit not hit or not wired)' : String(throttled),
        '',
      ],
      [
        'latency p50 / p99 (all answers)',
        '',
        `${ms(percentile(allLat, 50))} / ${ms(percentile(allLat, 99))}`,
        '',
      ],
      ['latency p50 / p99 (201 only)', '', `${ms(percentile(okLat, 50))} / ${ms(percentile(okLat, 99))}`, ''],
      ...(errors.length > 0
        ? ([['network errors (first)', '', errors[0]!.slice(0, 60), '']] as Section['rows'])
        : []),
    ],
  };
}
