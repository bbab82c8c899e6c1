/**
 * A standalone HTML report: the table, the reported figures and the thinking-budget curves as inline SVG
 * (accuracy against mean reasoning tokens, and against seconds per sample, one line per model, error bars
 * ± 1 SE). No script, no external asset: it opens from a file or an e-mail.
 */
import { accuracy, levelLines, markdownReport, reportedLines, terminalTable } from './report-table.ts';
import type { RunSummary, VariantSummary } from './summary.ts';

export { markdownReport, terminalTable };

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

const COLOURS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];

/** One plot: accuracy (%, y) against `x` for every model's variants, sorted by x. */
export function curveSvg(
  variants: readonly VariantSummary[],
  x: (v: VariantSummary) => number,
  xLabel: string,
): string {
  const W = 440;
  const H = 300;
  const m = { l: 48, r: 16, t: 16, b: 44 };
  const xs = variants.map(x);
  const xMax = Math.max(1e-9, ...xs) * 1.08;
  const sx = (v: number) => m.l + (v / xMax) * (W - m.l - m.r);
  const sy = (p: number) => H - m.b - (p / 100) * (H - m.t - m.b);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="11" role="img" aria-label="accuracy against ${esc(xLabel)}">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
  ];
  for (const p of [0, 25, 50, 75, 100]) {
    parts.push(
      `<line x1="${m.l}" x2="${W - m.r}" y1="${sy(p)}" y2="${sy(p)}" stroke="#e5e7eb"/>`,
      `<text x="${m.l - 6}" y="${sy(p) + 4}" text-anchor="end" fill="#374151">${p}</text>`,
    );
  }
  for (let i = 0; i <= 4; i++) {
    const v = (xMax / 1.08) * (i / 4);
    parts.push(
      `<text x="${sx(v)}" y="${H - m.b + 16}" text-anchor="middle" fill="#374151">${v >= 100 ? Math.round(v) : v.toFixed(1)}</text>`,
    );
  }
  parts.push(
    `<line x1="${m.l}" x2="${W - m.r}" y1="${H - m.b}" y2="${H - m.b}" stroke="#111827"/>`,
    `<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${H - m.b}" stroke="#111827"/>`,
    `<text x="${(W + m.l) / 2}" y="${H - 8}" text-anchor="middle" fill="#111827">${esc(xLabel)}</text>`,
    `<text transform="translate(12 ${(H - m.b + m.t) / 2}) rotate(-90)" text-anchor="middle" fill="#111827">pass@1 %</text>`,
  );
  const models = [...new Set(variants.map((v) => v.model))];
  models.forEach((model, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const points = variants.filter((v) => v.model === model).sort((a, b) => x(a) - x(b));
    const path = points
      .map((v, j) => `${j === 0 ? 'M' : 'L'}${sx(x(v)).toFixed(1)},${sy(v.pass1.mean * 100).toFixed(1)}`)
      .join(' ');
    parts.push(`<path d="${path}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    for (const v of points) {
      const cx = sx(x(v));
      const cy = sy(v.pass1.mean * 100);
      if (v.pass1.se !== null) {
        const lo = sy(Math.max(0, (v.pass1.mean - v.pass1.se) * 100));
        const hi = sy(Math.min(100, (v.pass1.mean + v.pass1.se) * 100));
        parts.push(`<line x1="${cx}" x2="${cx}" y1="${lo}" y2="${hi}" stroke="${colour}"/>`);
      }
      parts.push(
        `<circle cx="${cx}" cy="${cy}" r="3.5" fill="${colour}"><title>${esc(`${v.model} [${v.budget}]: ${accuracy(v.pass1)} %`)}</title></circle>`,
        `<text x="${cx + 5}" y="${cy - 6}" fill="${colour}">${esc(v.budget)}</text>`,
      );
    }
    parts.push(`<text x="${m.l + 8}" y="${m.t + 12 + i * 14}" fill="${colour}">${esc(model)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/** The thinking-budget curve: accuracy against reasoning tokens and against seconds, side by side. */
export function budgetCurveSvgs(s: RunSummary): [string, string] {
  return [
    curveSvg(s.variants, (v) => v.meanReasoningTokens, 'mean reasoning tokens per sample'),
    curveSvg(s.variants, (v) => v.meanSeconds, 'seconds per sample'),
  ];
}

export function htmlReport(s: RunSummary): string {
  const table = terminalTable(s).split('\n');
  const [tokens, seconds] = budgetCurveSvgs(s);
  const rows = s.variants
    .map(
      (v) =>
        `<tr><td>${esc(v.model)}</td><td>${esc(v.budget)}</td><td>${v.samples}</td><td>${esc(accuracy(v.pass1))}</td><td>${v.cons ? esc(accuracy(v.cons)) : '–'}</td><td>${v.cutOff}</td><td>${v.emptyReasoning}</td><td>${v.noAnswer}</td><td>${v.meanReasoningTokens.toFixed(0)}</td><td>${v.meanAnswerTokens.toFixed(0)}</td><td>${v.meanTtftMs === null ? '–' : v.meanTtftMs.toFixed(0)}</td><td>${v.tokensPerSecond === null ? '–' : v.tokensPerSecond.toFixed(1)}</td><td>${v.meanSeconds.toFixed(2)}</td><td>${v.cost === null ? '–' : v.cost.toFixed(4)}</td></tr>`,
    )
    .join('\n');
  const reported = reportedLines(s);
  const levels = levelLines(s);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(`Ponder eval: ${s.run.name}`)}</title>
<style>body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#111827}table{border-collapse:collapse}td,th{border:1px solid #d1d5db;padding:.25rem .5rem;text-align:right}td:first-child,td:nth-child(2){text-align:left}td:first-child{white-space:nowrap}th{background:#f3f4f6}.plots{display:flex;flex-wrap:wrap;gap:1rem}</style>
</head><body>
<h1>${esc(s.run.name)}</h1>
<p>${esc(table[0] ?? '')}<br>${esc(table[1] ?? '')}</p>
<table><thead><tr><th>model</th><th>budget</th><th>samples</th><th>pass@1 % ± SE</th><th>cons@${s.settings.k} %</th><th>cut off</th><th>empty reasoning</th><th>no answer</th><th>reasoning tok</th><th>answer tok</th><th>TTFT ms</th><th>tok/s</th><th>s/sample</th><th>cost $</th></tr></thead>
<tbody>
${rows}
</tbody></table>
${reported.length ? `<h2>Reported figures</h2><ul>${reported.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>` : ''}
${levels.length ? `<h2>pass@1 % by level</h2><ul>${levels.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>` : ''}
<h2>Thinking-budget curve</h2>
<p>Accuracy against how much the model thought, one point per thinking setting (± 1 SE across problems).</p>
<div class="plots">${tokens}${seconds}</div>
<p>pass@1: the mean over problems of each problem’s share of right samples; ± its standard error across problems. cons@k: majority vote over the k samples, ties to the earliest answer.</p>
</body></html>
`;
}
