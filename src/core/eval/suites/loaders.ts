/**
 * Loaders for the standard files, laid out as their public releases are:
 * - GSM8K (openai/grade-school-math `test.jsonl`): `question`, `answer` ending in `#### <number>`;
 * - MATH-500 (HuggingFaceH4/MATH-500 `test.jsonl`): `problem`, `answer` (LaTeX), `level`, `unique_id`;
 * - AIME 2024 (HuggingFaceH4/aime_2024: `id`, `problem`, `answer`; Maxwell-Jia/AIME_2024: `ID`, `Problem`,
 *   `Answer`) and AIME 2025 (opencompass/AIME2025 parts I and II: `question`, `answer`), as JSONL or a CSV
 *   with such columns (e.g. the 1983–2024 AIME CSV: `ID`, `Year`, `Question`, `Answer`);
 * - a generic JSONL / JSON / CSV with a problem column (`problem`, `question`, `prompt`, `input`) and an
 *   answer column (`answer`, `solution`, `target`, `output`); an answer that is a single letter A–J is
 *   judged as a multiple-choice letter.
 */

import { field, parseRows, type Row } from './parse-rows.ts';
import type { EvalProblem, StandardSuiteName } from './types.ts';
import { SuiteError } from './types.ts';

const PROBLEM = ['problem', 'question', 'prompt', 'input'];
const ANSWER = ['answer', 'final_answer', 'target', 'output', 'solution'];
const ID = ['unique_id', 'id', 'ID', 'problem_id'];

function need(row: Row, names: readonly string[], what: string, where: string): string {
  const v = field(row, names);
  if (v === undefined) throw new SuiteError(`${where}: no ${what} (looked for ${names.join(', ')})`);
  return v;
}

function gsm8k(row: Row, i: number, where: string): EvalProblem {
  const answer = need(row, ['answer'], 'answer', where);
  const final = /####\s*(.+)\s*$/.exec(answer)?.[1];
  if (final === undefined) throw new SuiteError(`${where}: the GSM8K answer has no "#### <number>" line`);
  return {
    id: `gsm8k-${i}`,
    problem: need(row, ['question'], 'question', where),
    answer: final.replace(/,/g, '').trim(),
    kind: 'auto',
  };
}

function generic(prefix: string, row: Row, i: number, where: string): EvalProblem {
  const answer = need(row, ANSWER, 'answer', where);
  const level = Number(/\d+/.exec(field(row, ['level']) ?? '')?.[0]);
  const id = field(row, ID);
  return {
    id: id ? `${prefix}-${id}` : `${prefix}-${i}`,
    problem: need(row, PROBLEM, 'problem', where),
    answer,
    kind: /^[A-J]$/.test(answer) ? 'choice' : 'auto',
    ...(Number.isFinite(level) && level > 0 ? { level } : {}),
  };
}

/** Problems from a file's text; `format` picks the layout (a standard suite's, or generic). */
export function loadProblems(
  text: string,
  fileName: string,
  format: StandardSuiteName | 'generic',
  prefix: string = format,
): EvalProblem[] {
  const rows = parseRows(text, fileName);
  if (rows.length === 0) throw new SuiteError(`${fileName}: no problems in the file`);
  const problems = rows.map((row, i) => {
    const where = `${fileName} row ${i + 1}`;
    if (typeof row !== 'object' || row === null) throw new SuiteError(`${where}: not an object`);
    return format === 'gsm8k' ? gsm8k(row, i, where) : generic(prefix, row, i, where);
  });
  // Ids from the file when they are unique; otherwise (e.g. AIME I and II both numbered 1–15) the row number.
  if (new Set(problems.map((p) => p.id)).size === problems.length) return problems;
  return problems.map((p, i) => ({ ...p, id: `${prefix}-${i}` }));
}
