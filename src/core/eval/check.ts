/**
 * Judges an extracted answer against the reference. Both go through the same normalisation (LaTeX
 * wrappers, `\frac`/`\dfrac`/`\sqrt`/`^\circ`/`\text{}`, thousands separators, a leading `x =`, units and
 * currency signs), then:
 *  - multiple choice (`kind: 'choice'`): the letter, however it is dressed (`(B)`, `B)`, `\text{B}`, `Option B`);
 *  - equal normalised strings;
 *  - numeric equivalence: both sides evaluated by mathjs (only arithmetic, `sqrt`, `pi`, `e` are let
 *    through) and equal within a relative 1e-8 (so a rounded 0.333333 is not 1/3) — `1/2` = `0.5`, `\frac{\sqrt{2}}{2}` = `\frac{1}{\sqrt2}`;
 *  - otherwise wrong. The verdict carries the reason, for the record.
 */
import { evaluate } from 'mathjs';

/** `auto`: numbers, expressions and text; `choice`: a letter; `text`: normalised text only (dates, names). */
export type AnswerKind = 'auto' | 'choice' | 'text';

export interface Verdict {
  correct: boolean;
  /** Why, in words (stored with the sample). */
  reason: string;
  /** The normalised form: the key majority voting groups answers by. */
  key: string | null;
}

/** Strips one `\cmd{…}` wrapper, keeping its content (repeated until none is left). */
function unwrap(s: string, commands: readonly string[]): string {
  let out = s;
  for (let guard = 0; guard < 20; guard++) {
    const before = out;
    for (const c of commands) out = out.replace(new RegExp(`\\\\${c}\\s*\\{([^{}]*)\\}`, 'g'), '$1');
    if (out === before) break;
  }
  return out;
}

/** `\frac{a}{b}` → `(a)/(b)` (innermost first), `\frac12` → `(1)/(2)`, `\sqrt{x}` → `sqrt(x)`. */
function latexToExpression(s: string): string {
  let out = s.replace(/\\[dt]frac/g, '\\frac');
  for (let guard = 0; guard < 20; guard++) {
    const before = out;
    out = out.replace(/\\frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}/g, '($1)/($2)');
    out = out.replace(/\\frac\s*(\d)\s*(\d)/g, '($1)/($2)');
    out = out.replace(/\\frac\s*\{([^{}]*)\}\s*(\d)/g, '($1)/($2)');
    out = out.replace(/\\sqrt\s*\{([^{}]*)\}/g, 'sqrt($1)');
    out = out.replace(/\\sqrt\s*(\d+|[a-z])/gi, 'sqrt($1)');
    out = out.replace(/\^\{([^{}]*)\}/g, '^($1)');
    if (out === before) break;
  }
  return out;
}

const UNIT_WORDS =
  /^(.*?\d)\s*(?:[a-z%°µ$€£]+[a-z0-9²³/^.]*)(?:\s+(?:per|an?|each|in|of)?\s*[a-z²³/^.]+)*\s*$/i;

/** The normal form both sides are compared in. */
export function normalise(raw: string): string {
  let s = raw.trim();
  s = s.replace(/^\$+|\$+$/g, '').replace(/\\\(|\\\)|\\\[|\\\]/g, '');
  s = s.replace(/\\left|\\right|\\!|\\,|\\;|\\:|\\ |~/g, ' ');
  s = s.replace(/[−–]/g, '-'); // a typographic minus or dash is a minus
  s = s.replace(/\^\s*\{?\s*\\circ\s*\}?|°|\\degree/g, '');
  s = s.replace(/\\%|%/g, '');
  s = s.replace(/\\\$|\$|€|£/g, '');
  s = unwrap(s, ['text', 'textbf', 'mathrm', 'mathbf', 'mbox', 'operatorname', 'displaystyle', 'boxed']);
  s = s.replace(/\\displaystyle/g, '');
  s = latexToExpression(s);
  s = s
    .replace(/\\cdot|\\times/g, '*')
    .replace(/\\div/g, '/')
    .replace(/\\pi/g, 'pi');
  s = s.replace(/^[a-z]\s*=\s*/i, '');
  s = s.replace(/\s+/g, ' ').trim();
  // Thousands separators (1,000 or 1 000), only where the whole number is written that way.
  if (/^[-+]?\d{1,3}(?:[, ]\d{3})+(?:\.\d+)?$/.test(s)) s = s.replace(/[, ]/g, '');
  // A number followed by unit words ("12 km", "3.5 hours", "7 apples per box"): the number.
  const unit = UNIT_WORDS.exec(s);
  if (unit?.[1] && /^[-+*/().\d\s^sqrtpi]+$/.test(unit[1]) && !/^\d+[a-z]$/i.test(s)) s = unit[1];
  s = s.replace(/\.$/, '').trim();
  return s.replace(/\s+/g, '').toLowerCase();
}

/** Only what numeric checking needs goes to mathjs: digits, operators, brackets, sqrt, pi, e. */
const EXPRESSION = /^(?:[\d.+\-*/^()]|sqrt|pi|e)+$/;

/** The value of a normalised answer, when it is a plain number or simple expression. */
export function numericValue(normalised: string): number | null {
  if (!normalised || normalised.length > 200 || !EXPRESSION.test(normalised)) return null;
  try {
    const v: unknown = evaluate(normalised);
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

/** The letter of a multiple-choice answer, however it is dressed; null when there is none. */
export function choiceLetter(raw: string): string | null {
  const s = unwrap(raw.trim(), ['text', 'textbf', 'mathrm', 'mathbf', 'boxed']).replace(/\$/g, '').trim();
  const m = /^(?:option|choice|answer)?\s*[:(]?\s*\(?([A-Ja-j])\)?\s*[.):]?(?:\s|$)/i.exec(s);
  return m?.[1] ? m[1].toUpperCase() : null;
}

export function checkAnswer(extracted: string | null, expected: string, kind: AnswerKind = 'auto'): Verdict {
  if (extracted === null || extracted.trim() === '') {
    return { correct: false, reason: 'no answer found in the output', key: null };
  }
  if (kind === 'choice') {
    const got = choiceLetter(extracted);
    const want = choiceLetter(expected) ?? expected.trim().toUpperCase();
    if (got === null) return { correct: false, reason: `no choice letter in "${extracted}"`, key: null };
    return got === want
      ? { correct: true, reason: `choice ${got} matches`, key: got }
      : { correct: false, reason: `choice ${got}, expected ${want}`, key: got };
  }
  const got = normalise(extracted);
  const want = normalise(expected);
  const a = kind === 'text' ? null : numericValue(got);
  // Answers that are the same number vote together (`0.5` and `1/2`).
  const key = a !== null ? String(Number(a.toPrecision(12))) : got;
  if (got === want) return { correct: true, reason: `"${got}" matches after normalisation`, key };
  const b = kind === 'text' ? null : numericValue(want);
  if (a !== null && b !== null) {
    const close = a === b || Math.abs(a - b) <= 1e-8 * Math.max(Math.abs(a), Math.abs(b));
    return close
      ? { correct: true, reason: `numerically equal: ${got} = ${want} (${b})`, key }
      : { correct: false, reason: `numeric ${a} ≠ expected ${b}`, key };
  }
  return { correct: false, reason: `"${got}" ≠ expected "${want}"`, key };
}
