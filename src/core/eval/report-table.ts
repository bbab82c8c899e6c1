/** The report as rows of text: a terminal table and Markdown, from one set of columns. */
import type { RunSummary, VariantSummary } from './summary.ts';

const pct = (x: number) => `${(x * 100).toFixed(1)}`;
const num = (x: number | null, digits = 0) => (x === null ? '–' : x.toFixed(digits));

/** "83.9 ± 1.6" (percent, SE across problems). */
export function accuracy(e: { mean: number; se: number | null }): string {
  return e.se === null ? pct(e.mean) : `${pct(e.mean)} ± ${pct(e.se)}`;
}

const COLUMNS: Array<[string, (v: VariantSummary) => string]> = [
  ['model', (v) => v.model],
  ['budget', (v) => v.budget],
  ['samples', (v) => `${v.samples}`],
  ['pass@1 % ± SE', (v) => accuracy(v.pass1)],
  ['cons@k %', (v) => (v.cons ? `${accuracy(v.cons)} (k=${v.k})` : '–')],
  ['cut off', (v) => `${v.cutOff}`],
  ['empty reasoning', (v) => `${v.emptyReasoning}`],
  ['no answer', (v) => `${v.noAnswer}`],
  ['reasoning tok', (v) => num(v.meanReasoningTokens)],
  ['answer tok', (v) => num(v.meanAnswerTokens)],
  ['TTFT ms', (v) => num(v.meanTtftMs)],
  ['tok/s', (v) => num(v.tokensPerSecond, 1)],
  ['s/sample', (v) => num(v.meanSeconds, 2)],
  ['cost $', (v) => (v.cost === null ? '–' : v.cost.toFixed(4))],
];

/** "model [budget]: L1 90.0 ± 3.0 · L2 …" for variants whose suite has levels. */
export function levelLines(s: RunSummary): string[] {
  return s.variants
    .filter((v) => v.byLevel.length > 1)
    .map(
      (v) =>
        `${v.model} [${v.budget}]: ${v.byLevel.map((l) => `L${l.level} ${accuracy(l.pass1)}`).join(' · ')}`,
    );
}

export function reportedLines(s: RunSummary): string[] {
  const lines: string[] = [];
  for (const v of s.variants)
    for (const r of v.reported) {
      const d =
        r.distanceSe === null ? 'no SE' : `${r.distanceSe >= 0 ? '+' : ''}${r.distanceSe.toFixed(1)} SE`;
      const metric = r.figure.metric === 'cons@k' ? `cons@${r.figure.k ?? 'k'}` : 'pass@1';
      lines.push(
        `${v.model} [${v.budget}] ${metric}: measured ${r.measured.toFixed(1)} vs reported ${r.figure.value} (${r.figure.source}) → ${d}${r.note ? `; ${r.note}` : ''}`,
      );
    }
  return lines;
}

function header(s: RunSummary): string[] {
  return [
    `Eval ${s.run.name} (${s.run.id}): ${s.run.status}, ${s.run.done}/${s.run.total} samples${s.run.error ? ` — ${s.run.error}` : ''}`,
    `Suite ${s.suite.name}: ${s.suite.description}, ${s.suite.problems} problems. k = ${s.settings.k}, temperature ${s.settings.temperature}, top-p ${s.settings.topP}, max ${s.settings.maxTokens} tokens, plan ${s.settings.plan}.`,
  ];
}

export function terminalTable(s: RunSummary): string {
  const rows = [COLUMNS.map(([h]) => h), ...s.variants.map((v) => COLUMNS.map(([, f]) => f(v)))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const out = [...header(s), '', line(rows[0] ?? []), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const r of rows.slice(1)) out.push(line(r));
  const reported = reportedLines(s);
  if (reported.length) out.push('', 'Reported figures:', ...reported.map((l) => `  ${l}`));
  const levels = levelLines(s);
  if (levels.length) out.push('', 'pass@1 % by level:', ...levels.map((l) => `  ${l}`));
  return `${out.join('\n')}\n`;
}

const md = (text: string) => text.replace(/\|/g, '\\|');

export function markdownReport(s: RunSummary): string {
  const out = [`## ${md(s.run.name)}`, '', ...header(s).map(md), ''];
  out.push(`| ${COLUMNS.map(([h]) => h).join(' | ')} |`, `|${COLUMNS.map(() => '---').join('|')}|`);
  for (const v of s.variants) out.push(`| ${COLUMNS.map(([, f]) => md(f(v))).join(' | ')} |`);
  const reported = reportedLines(s);
  if (reported.length) out.push('', '**Reported figures**', '', ...reported.map((l) => `- ${md(l)}`));
  const levels = levelLines(s);
  if (levels.length) out.push('', '**pass@1 % by level**', '', ...levels.map((l) => `- ${md(l)}`));
  out.push(
    '',
    'pass@1 is the mean over problems of each problem’s share of right samples; ± is its standard error across problems. cons@k is the majority vote over the k samples (ties to the earliest answer).',
  );
  return `${out.join('\n')}\n`;
}
