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
import { countBy, ms, percentile, type Row, verdict } from './stats.ts';
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

/** One flood; `label` prefixes every row (the harness runs it with the PoW gate as shipped and with it off). */
export async function signupFlood(
  instance: Instance,
  opts: LoadOptions,
  pool: PowPool,
  label: string,
  gateOff = false,
): Promise<Row[]> {
  const run = randomBytes(3).toString('hex');
  const attempts: Attempt[] = [];
  const errors: string[] = [];
  let next = 0;
  let accepted = 0;
  let powAsked = 0;
  let acceptedWithoutPow = 0;
  let lastWithoutPowAt = 0;
  let powRejected = 0;
  const agent = newAgent();
  const start = performance.now();
  const until = start + opts.signupSeconds * 1000;
  const solvedBefore = pool.solved;
  const solveMsBefore = pool.solveMs;
  const timeUp = setTimeout(() => pool.dropQueued(), opts.signupSeconds * 1000);

  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= opts.signups || performance.now() >= until) return;
      const localAddress = sourceAddress(i % opts.signupIps, opts.signupIps);
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
          if (!pow) {
            acceptedWithoutPow++;
            lastWithoutPowAt = performance.now();
          }
          break;
        }
        if (res.status === 428) {
          powAsked++;
          if (pow) powRejected++;
          const c = powChallenge(res.body);
          if (!c) break;
          try {
            pow = { challenge: c.challenge, nonce: await pool.solve(c.challenge, c.difficulty) };
          } catch {
            return; // Time is up.
          }
          continue;
        }
        // A 503 is a failure by the targets, but a real client retries it too.
        if ((res.status === 429 || res.status === 503) && ra !== undefined) {
          const left = until - performance.now();
          await sleep(Math.max(0, Math.min(ra * 1000, left)));
          continue;
        }
        break; // Any other answer is a failure of this sign-up.
      }
    }
  };
  await Promise.all(Array.from({ length: opts.signupConcurrency }, () => worker()));
  clearTimeout(timeUp);
  const elapsed = (performance.now() - start) / 1000;
  const gateOffSeconds = (lastWithoutPowAt - start) / 1000;
  agent.destroy();

  const acceptable = (a: Attempt): boolean =>
    a.status === 201 || a.status === 428 || (a.status === 429 && a.retryAfter);
  const bad = attempts.filter((a) => !acceptable(a));
  const rate = accepted / elapsed;
  const solved = pool.solved - solvedBefore;
  const okLat = attempts.filter((a) => a.status === 201).map((a) => a.ms);
  const allLat = attempts.filter((a) => a.status !== 0).map((a) => a.ms);
  const throttled = attempts.filter((a) => a.status === 429).length;
  const rows: Row[] = [
    ['sign-ups accepted', `${opts.signups}`, `${accepted} in ${elapsed.toFixed(1)} s`, ''],
    ['accepted / s', '≥ 50', rate.toFixed(1), verdict(rate >= 50)],
    ['failures other than 428 / 429+Retry-After', '0', String(bad.length), verdict(bad.length === 0)],
    [
      '  by status',
      '',
      countBy(bad, (a) =>
        a.status === 0
          ? 'network'
          : `${a.status}${a.retryAfter ? ' with Retry-After' : ' without Retry-After'}`,
      ),
      '',
    ],
    ['attempts (HTTP requests)', '', `${attempts.length}: ${countBy(attempts, (a) => String(a.status))}`, ''],
    [
      'PoW: 428 answers / solved',
      'on under flood',
      gateOff
        ? 'off by setting'
        : powAsked === 0
          ? 'n/a: not wired (no 428)'
          : `${powAsked} / ${solved}, difficulty ${[...pool.difficulties].join(',')} bits, ${((pool.solveMs - solveMsBefore) / Math.max(1, solved)).toFixed(0)} ms of hashing per solve`,
      powAsked === 0 && !gateOff ? 'n/a' : '',
    ],
    [
      'sign-ups accepted without PoW (until the last one)',
      '',
      `${acceptedWithoutPow} in ${gateOffSeconds.toFixed(2)} s = ${(acceptedWithoutPow / Math.max(0.001, gateOffSeconds)).toFixed(0)} / s`,
      '',
    ],
    ['429 rate-limited answers', '', throttled === 0 ? 'none' : String(throttled), ''],
    [
      'latency p50 / p99 (all answers)',
      '',
      `${ms(percentile(allLat, 50))} / ${ms(percentile(allLat, 99))}`,
      '',
    ],
    ['latency p50 / p99 (201 only)', '', `${ms(percentile(okLat, 50))} / ${ms(percentile(okLat, 99))}`, ''],
    ...(powRejected > 0
      ? ([['PoW solutions refused (428 again)', '0', String(powRejected), 'MISS']] as Row[])
      : []),
    ...(errors.length > 0 ? ([['network errors (first)', '', errors[0]!.slice(0, 60), '']] as Row[]) : []),
  ];
  return rows.map(([metric, ...rest]) => [`${label}: ${metric}`, ...rest] as Row);
}
