/**
 * (b) and (d) Chat overload: capacity first (one stream alone, then one stream per slot), then
 * `overloadFactor × slots` closed-loop streams from the users, split over the instances.
 */
import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { closedLoop, measureCapacity, type Target } from './drivers.ts';
import { cpuMeter, groupRss, type Instance, logTail, rssSampler } from './instances.ts';
import type { LoadOptions } from './options.ts';
import { countBy, mb, ms, pct, percentile, type Row, tokensPerSecond, verdict } from './stats.ts';
import type { BenchUser } from './users.ts';

/** Clients spread over users and instances: client i is user i mod U on instance i mod N. */
export function targetsFor(instances: Instance[], users: BenchUser[], clients: number): Target[] {
  return Array.from({ length: clients }, (_, i) => ({
    instance: instances[i % instances.length]!,
    user: users[i % users.length]!,
  }));
}

export async function overload(instances: Instance[], users: BenchUser[], opts: LoadOptions): Promise<Row[]> {
  const slots = opts.slots * instances.length;
  const loopOpts = {
    durationMs: opts.capacitySeconds * 1000,
    turnTimeoutMs: opts.turnTimeoutMs,
    maxBackoffMs: opts.maxBackoffMs,
  };
  process.stderr.write(`  measuring capacity (${slots} slots)…\n`);
  const cap = await measureCapacity(targetsFor(instances, users, 2 * slots), slots, loopOpts);

  const clients = opts.overloadFactor * slots;
  process.stderr.write(`  overload: ${clients} streams for ${opts.overloadSeconds} s…\n`);
  const rssBefore = instances.reduce((s, i) => s + groupRss(i), 0);
  const sampler = rssSampler(instances);
  const cpu = cpuMeter(instances);
  // The harness shares the cores: its own event-loop delay inflates every latency it measures.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const exitsBefore = instances.filter((i) => i.exit).length;
  const run = await closedLoop(targetsFor(instances, users, clients), {
    ...loopOpts,
    durationMs: opts.overloadSeconds * 1000,
  });
  const rssPeak = sampler.stop();
  const cpuUse = cpu.stop();
  loopDelay.disable();
  const loopP99 = loopDelay.percentile(99) / 1e6;
  const rssAfter = instances.reduce((s, i) => s + groupRss(i), 0);
  const crashed = instances.filter((i) => i.exit && !i.expectedExit);
  const crashes = crashed.length - exitsBefore;
  for (const i of crashed) {
    process.stderr.write(
      `  ${i.spec.name} exited (${i.exit?.signal ?? i.exit?.code}); its log ends:\n${logTail(i)}\n`,
    );
  }

  const offered = run.turns.length;
  const admitted = run.turns.filter((t) => t.outcome === 'admitted');
  const shed = run.turns.filter((t) => t.outcome === 'shed');
  const shedHttp = shed.filter((t) => t.code !== 'in-stream');
  const shedNoRetry = shedHttp.filter((t) => t.retryAfter === undefined);
  const failed = run.turns.filter((t) => t.outcome === 'failed');
  const goodput = tokensPerSecond(run.turns, run.from, run.to);
  const ttfts = admitted.map((t) => t.ttftMs ?? Number.NaN).filter((x) => !Number.isNaN(x));
  const shedMs = shedHttp.map((t) => t.headMs);
  const queued = run.turns.filter((t) => t.queuedEvents > 0).length;
  const admissionWired = shed.length > 0 || queued > 0;
  const fraction = goodput / cap.saturated;
  const p99Shed = percentile(shedMs, 99);
  const rssBounded = rssPeak <= rssBefore * 2;

  return [
    ['capacity: 1 stream alone', '', `${cap.singleRate.toFixed(0)} tok/s, TTFT ${ms(cap.singleTtftMs)}`, ''],
    ['capacity: slots × 1-stream rate', '', `${cap.nominal.toFixed(0)} tok/s (${slots} slots)`, ''],
    [
      'capacity: measured, every slot busy (2 streams per slot)',
      '',
      `${cap.saturated.toFixed(0)} tok/s, ~${cap.meanTokensPerTurn.toFixed(0)} tokens/turn`,
      '',
    ],
    [
      'offered / admitted / shed / failed (turns)',
      '',
      `${offered} / ${admitted.length} / ${shed.length} / ${failed.length}`,
      '',
    ],
    [
      'admission control (queue or shed seen)',
      'queue + shed',
      admissionWired
        ? `${queued} turns saw queue positions, ${shed.length} shed`
        : 'n/a: not wired (no queued event, nothing shed)',
      admissionWired ? '' : 'n/a',
    ],
    ['goodput (admitted tokens/s)', '', `${goodput.toFixed(0)} tok/s`, ''],
    ['goodput ÷ measured capacity', '≥ 90 %', pct(fraction), verdict(fraction >= 0.9)],
    ['goodput ÷ (slots × 1-stream rate)', '', pct(goodput / cap.nominal), ''],
    ['TTFT p50 / p99 (admitted)', '', `${ms(percentile(ttfts, 50))} / ${ms(percentile(ttfts, 99))}`, ''],
    [
      'shed answer p99 (429/503)',
      '≤ 100 ms',
      shedMs.length === 0
        ? 'none shed'
        : `${ms(p99Shed)} (${countBy(shedHttp, (t) => `${t.status} ${t.code ?? ''}`.trim())})`,
      shedMs.length === 0 ? '' : verdict(p99Shed <= 100),
    ],
    ['shed without Retry-After', '0', String(shedNoRetry.length), verdict(shedNoRetry.length === 0)],
    ...(shed.length > shedHttp.length
      ? ([['shed after queueing (in-stream)', '', String(shed.length - shedHttp.length), '']] as Row[])
      : []),
    [
      'failed turns',
      '0',
      failed.length === 0
        ? '0'
        : `${failed.length} (${countBy(failed, (t) => (t.error ?? `${t.status}`).slice(0, 40))})`,
      verdict(failed.length === 0),
    ],
    ['crashes (process exited)', '0', String(crashes), verdict(crashes === 0)],
    [
      'RSS before / peak / after (server + engine)',
      'peak ≤ 2 × before',
      `${mb(rssBefore)} / ${mb(rssPeak)} / ${mb(rssAfter)}`,
      verdict(rssBounded),
    ],
    [
      'CPU during overload: bench + instances / other processes',
      '',
      `${cpuUse.ours.toFixed(2)} / ${cpuUse.others.toFixed(2)} cores of ${availableParallelism()}`,
      '',
    ],
    ['bench event-loop delay p99 (inflates its latencies)', '', ms(loopP99), ''],
  ];
}
