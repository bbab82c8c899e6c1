/** Percentiles, windowed token rates and the result table. */
import type { TurnResult } from './chat.ts';

/** Nearest-rank percentile; NaN for no samples. */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/**
 * Tokens/s of admitted turns inside [from, to] (performance.now() ms). Each turn's tokens are spread
 * evenly from its first token to its end, so turns cut by the window edges count in proportion.
 */
export function tokensPerSecond(turns: TurnResult[], from: number, to: number): number {
  let tokens = 0;
  for (const t of turns) {
    if (t.outcome !== 'admitted' || t.firstTokenAt === undefined || t.tokens === 0) continue;
    const span = Math.max(1, t.endAt - t.firstTokenAt);
    const overlap = Math.max(0, Math.min(to, t.endAt) - Math.max(from, t.firstTokenAt));
    tokens += (t.tokens * overlap) / span;
  }
  return tokens / Math.max(0.001, (to - from) / 1000);
}

export function ms(x: number): string {
  return Number.isNaN(x) ? '–' : `${x.toFixed(0)} ms`;
}

export function mb(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

export function pct(x: number): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(0)} %` : '–';
}

/** A table row: what, target, measured, verdict (`ok`, `MISS`, `n/a: …`, or '' for information). */
export type Row = [metric: string, target: string, measured: string, verdict: string];

export function verdict(pass: boolean | undefined): string {
  if (pass === undefined) return '';
  return pass ? 'ok' : 'MISS';
}

export interface Section {
  title: string;
  notes: string[];
  rows: Row[];
}

export function renderSection(section: Section): string {
  const rows: string[][] = [['metric', 'target', 'measured', ''], ...section.rows];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]): string => `| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
  return [
    `### ${section.title}`,
    ...section.notes.map((n) => `_${n}_`),
    '',
    line(rows[0]!),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.slice(1).map(line),
  ].join('\n');
}

/** Counts of a key, rendered `a: 3, b: 1`, or `none`. */
export function countBy<T>(items: T[], key: (x: T) => string): string {
  const counts = new Map<string, number>();
  for (const x of items) counts.set(key(x), (counts.get(key(x)) ?? 0) + 1);
  if (counts.size === 0) return 'none';
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k}: ${n}`)
    .join(', ');
}
