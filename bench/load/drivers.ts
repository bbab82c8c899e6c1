/**
 * Load shapes: closed loops (each client sends its next turn when the last ended, backing off after a
 * refusal as `Retry-After` says, capped) and open loops (turns at a fixed rate whatever happens), plus
 * the capacity measurement the overload targets are relative to.
 */
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { chatTurn, type TurnResult } from './chat.ts';
import { type Instance, sleep } from './instances.ts';
import { percentile, tokensPerSecond } from './stats.ts';
import type { BenchUser } from './users.ts';

export interface Target {
  instance: Instance;
  user: BenchUser;
}

export interface LoopRun {
  turns: TurnResult[];
  /** performance.now() at the start and at the end of the sending window. */
  from: number;
  to: number;
}

export interface ClosedLoopOptions {
  durationMs: number;
  turnTimeoutMs: number;
  maxBackoffMs: number;
  /** Aborting ends the window at once (in-flight turns are cut). */
  signal?: AbortSignal;
}

/** `targets.length` clients, each in a loop until the window closes; waits for the turns in flight. */
export async function closedLoop(targets: Target[], opts: ClosedLoopOptions): Promise<LoopRun> {
  const turns: TurnResult[] = [];
  // One signal is shared by every request of the loop.
  if (opts.signal) setMaxListeners(0, opts.signal);
  const from = performance.now();
  const until = from + opts.durationMs;
  const client = async (t: Target): Promise<void> => {
    while (performance.now() < until && !opts.signal?.aborted) {
      const r = await chatTurn(t.instance, t.user, {
        timeoutMs: opts.turnTimeoutMs,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      turns.push(r);
      if (r.outcome === 'shed') await sleep(Math.min(opts.maxBackoffMs, (r.retryAfter ?? 1) * 1000));
      else if (r.outcome === 'failed') await sleep(200);
    }
  };
  const progress = setInterval(() => {
    const n = (o: TurnResult['outcome']) => turns.filter((t) => t.outcome === o).length;
    process.stderr.write(
      `    ${((performance.now() - from) / 1000).toFixed(0)} s: ${turns.length} turns done (admitted ${n('admitted')}, shed ${n('shed')}, failed ${n('failed')})\n`,
    );
  }, 10_000);
  try {
    await Promise.all(targets.map(client));
  } finally {
    clearInterval(progress);
  }
  return { turns, from, to: Math.min(until, performance.now()) };
}

export interface OpenLoopClient {
  target: Target;
  ratePerSecond: number;
  /** Label to tell heavy from light users in the results. */
  label: string;
}

/**
 * Each client sends at its fixed rate (a random phase, ±10 % jitter) for the window; a client with
 * `maxInFlight` turns outstanding skips a send (counted), so the run stays bounded.
 */
export async function openLoop(
  clients: OpenLoopClient[],
  durationMs: number,
  turnTimeoutMs: number,
  maxInFlight = 16,
): Promise<{ turns: Array<TurnResult & { label: string }>; skipped: Map<string, number> }> {
  const turns: Array<TurnResult & { label: string }> = [];
  const skipped = new Map<string, number>();
  const pending: Promise<void>[] = [];
  const start = performance.now();
  const until = start + durationMs;
  const run = async (c: OpenLoopClient): Promise<void> => {
    const interval = 1000 / c.ratePerSecond;
    let next = start + Math.random() * interval;
    let inFlight = 0;
    for (;;) {
      if (next >= until) return;
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
      if (inFlight >= maxInFlight) {
        skipped.set(c.label, (skipped.get(c.label) ?? 0) + 1);
      } else {
        inFlight++;
        pending.push(
          chatTurn(c.target.instance, c.target.user, { timeoutMs: turnTimeoutMs }).then((r) => {
            inFlight--;
            turns.push({ ...r, label: c.label });
          }),
        );
      }
      next += interval * (0.9 + Math.random() * 0.2);
    }
  };
  await Promise.all(clients.map(run));
  await Promise.all(pending);
  return { turns, skipped };
}

export interface Capacity {
  /** Decode rate of one stream alone, tokens/s (median of a few turns). */
  singleRate: number;
  /** slots × singleRate. */
  nominal: number;
  /** Tokens/s with every slot busy and a turn waiting for each (2 streams per slot). */
  saturated: number;
  meanTokensPerTurn: number;
  /** Admitted turns per second the slots sustain. */
  turnsPerSecond: number;
  singleTtftMs: number;
}

/** Measures one stream alone, then `slots` closed-loop streams on distinct users. */
export async function measureCapacity(
  targets: Target[],
  slots: number,
  opts: Omit<ClosedLoopOptions, 'signal'>,
): Promise<Capacity> {
  const first = targets[0]!;
  // Warm-up: the first turns on a fresh engine (each slot's first use) are several times slower.
  await chatTurn(first.instance, first.user, { timeoutMs: opts.turnTimeoutMs });
  await Promise.all(
    Array.from({ length: slots }, (_, i) => targets[i % targets.length]!).map((t) =>
      chatTurn(t.instance, t.user, { timeoutMs: opts.turnTimeoutMs }),
    ),
  );
  const rates: number[] = [];
  const ttfts: number[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await chatTurn(first.instance, first.user, { timeoutMs: opts.turnTimeoutMs });
    if (r.outcome !== 'admitted' || r.firstTokenAt === undefined) {
      throw new Error(`capacity: a single turn was not answered (${r.status} ${r.code ?? r.error ?? ''})`);
    }
    rates.push(r.tokens / Math.max(0.001, (r.endAt - r.firstTokenAt) / 1000));
    ttfts.push(r.ttftMs ?? 0);
  }
  const singleRate = percentile(rates, 50);
  // Two streams per slot: a turn is always waiting when one ends, so no slot idles between a client's
  // turns (nothing is shed while the queue holds at least one per slot).
  const full = await closedLoop(
    Array.from({ length: 2 * slots }, (_, i) => targets[i % targets.length]!), // distinct users when given
    opts,
  );
  const admitted = full.turns.filter((t) => t.outcome === 'admitted');
  const settle = Math.min(2000, (full.to - full.from) / 4);
  const saturated = tokensPerSecond(full.turns, full.from + settle, full.to);
  const meanTokensPerTurn = admitted.reduce((s, t) => s + t.tokens, 0) / Math.max(1, admitted.length);
  return {
    singleRate,
    nominal: singleRate * slots,
    saturated,
    meanTokensPerTurn,
    turnsPerSecond: saturated / Math.max(1, meanTokensPerTurn),
    singleTtftMs: percentile(ttfts, 50),
  };
}
