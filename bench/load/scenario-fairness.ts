/**
 * (c) Fairness: light users at a fixed rate (together `lightLoad` of measured capacity), once alone and
 * once beside one heavy user sending `heavyFactor` × one light user's rate. Same instance, same plan.
 */
import { measureCapacity, openLoop } from './drivers.ts';
import { cpuMeter, type Instance } from './instances.ts';
import type { LoadOptions } from './options.ts';
import { countBy, ms, pct, percentile, type Row, verdict } from './stats.ts';
import type { BenchUser } from './users.ts';

export async function fairness(instance: Instance, users: BenchUser[], opts: LoadOptions): Promise<Row[]> {
  const light = users.slice(0, opts.lightUsers);
  const heavy = users[opts.lightUsers]!;
  process.stderr.write('  measuring capacity…\n');
  const cap = await measureCapacity(
    users.slice(0, 2 * opts.slots).map((user) => ({ instance, user })),
    opts.slots,
    {
      durationMs: opts.capacitySeconds * 1000,
      turnTimeoutMs: opts.turnTimeoutMs,
      maxBackoffMs: opts.maxBackoffMs,
    },
  );
  // At least 3 turns per light user and run, even when contention made the capacity look tiny.
  const lightRate = Math.max(
    3 / opts.fairnessSeconds,
    (opts.lightLoad * cap.turnsPerSecond) / opts.lightUsers,
  );
  const heavyRate = lightRate * opts.heavyFactor;
  const lightClients = light.map((user, i) => ({
    target: { instance, user },
    ratePerSecond: lightRate,
    label: `light${i}`,
  }));
  const durationMs = opts.fairnessSeconds * 1000;

  process.stderr.write(`  light users alone for ${opts.fairnessSeconds} s…\n`);
  const cpuAlone = cpuMeter([instance]);
  const alone = await openLoop(lightClients, durationMs, opts.turnTimeoutMs);
  const cpuA = cpuAlone.stop();
  const cpuMixed = cpuMeter([instance]);
  process.stderr.write(`  light users + heavy user for ${opts.fairnessSeconds} s…\n`);
  const mixed = await openLoop(
    [...lightClients, { target: { instance, user: heavy }, ratePerSecond: heavyRate, label: 'heavy' }],
    durationMs,
    opts.turnTimeoutMs,
  );

  const cpuM = cpuMixed.stop();
  const lightTurns = (turns: typeof alone.turns) => turns.filter((t) => t.label !== 'heavy');
  const ttft = (turns: typeof alone.turns) =>
    lightTurns(turns)
      .filter((t) => t.outcome === 'admitted' && t.ttftMs !== undefined)
      .map((t) => t.ttftMs!);
  const p99Alone = percentile(ttft(alone.turns), 99);
  const p99Mixed = percentile(ttft(mixed.turns), 99);
  const rise = p99Mixed / p99Alone - 1;
  const notAdmitted = (turns: typeof alone.turns) =>
    lightTurns(turns).filter((t) => t.outcome !== 'admitted');
  const heavyTurns = mixed.turns.filter((t) => t.label === 'heavy');
  const offeredLoad = (lightRate * opts.lightUsers + heavyRate) / cap.turnsPerSecond;

  return [
    [
      'capacity (every slot busy, 2 streams per slot)',
      '',
      `${cap.saturated.toFixed(0)} tok/s ≈ ${cap.turnsPerSecond.toFixed(2)} turns/s`,
      '',
    ],
    [
      'rates: each light / heavy user',
      '',
      `${lightRate.toFixed(2)} / ${heavyRate.toFixed(2)} turns/s (offered: ${pct((lightRate * opts.lightUsers) / cap.turnsPerSecond)} of capacity alone, ${pct(offeredLoad)} with heavy)`,
      '',
    ],
    [
      'light TTFT p50 / p99, alone',
      '',
      `${ms(percentile(ttft(alone.turns), 50))} / ${ms(p99Alone)} (${ttft(alone.turns).length} turns)`,
      '',
    ],
    [
      'light TTFT p50 / p99, with heavy',
      '',
      `${ms(percentile(ttft(mixed.turns), 50))} / ${ms(p99Mixed)} (${ttft(mixed.turns).length} turns)`,
      '',
    ],
    ['light p99 TTFT rise with heavy user', '≤ 20 %', pct(rise), verdict(rise <= 0.2)],
    [
      'light turns not admitted (alone / with heavy)',
      '0',
      `${notAdmitted(alone.turns).length} / ${notAdmitted(mixed.turns).length}${notAdmitted(mixed.turns).length > 0 ? ` (${countBy(notAdmitted(mixed.turns), (t) => `${t.outcome} ${t.status} ${t.code ?? t.error ?? ''}`.trim())})` : ''}`,
      verdict(notAdmitted(mixed.turns).length === 0),
    ],
    [
      'heavy user turns',
      '',
      heavyTurns.length === 0
        ? 'none'
        : countBy(heavyTurns, (t) =>
            t.outcome === 'admitted' ? 'admitted' : `${t.outcome} ${t.status} ${t.code ?? ''}`.trim(),
          ),
      '',
    ],
    ...(mixed.skipped.size > 0
      ? ([
          [
            'sends skipped (16 in flight)',
            '',
            countBy(
              [...mixed.skipped.entries()].flatMap(([k, n]) => Array(n).fill(k)),
              (k) => String(k),
            ),
            '',
          ],
        ] as Row[])
      : []),
    [
      'CPU alone / with heavy: bench + instance, other processes',
      '',
      `${cpuA.ours.toFixed(2)}, ${cpuA.others.toFixed(2)} / ${cpuM.ours.toFixed(2)}, ${cpuM.others.toFixed(2)} cores`,
      '',
    ],
  ];
}
