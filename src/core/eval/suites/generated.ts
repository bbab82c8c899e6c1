/**
 * Generated suites shipped with Ponder: seedable, exact answers, three difficulty levels each.
 * - arithmetic: multi-step integer arithmetic (level 1: three terms; 2: five with brackets; 3: seven with
 *   products and exact divisions);
 * - units: word problems with units (speeds and times, prices and quantities, minutes to hours);
 * - dates: calendar reasoning (a date N days later; the weekday of a date; days between two dates);
 * - logic: logic grids (people × pets × colours) from clues that admit exactly one solution.
 * Without a level, levels cycle 1, 2, 3 so a suite spans all three.
 */

import { logicGrid } from './logic-grid.ts';
import { Rng } from './random.ts';
import type { EvalProblem, GeneratedSuiteName } from './types.ts';

type Maker = (rng: Rng, level: number) => Omit<EvalProblem, 'id' | 'level'>;

function arithmetic(rng: Rng, level: number): Omit<EvalProblem, 'id' | 'level'> {
  const terms = level === 1 ? 3 : level === 2 ? 5 : 7;
  const max = level === 1 ? 50 : level === 2 ? 200 : 999;
  let expr = String(rng.int(1, max));
  let value = Number(expr);
  for (let i = 1; i < terms; i++) {
    const op = level === 1 ? rng.pick(['+', '-']) : rng.pick(['+', '-', '*', '/']);
    if (op === '*') {
      const n = rng.int(2, level === 3 ? 25 : 12);
      expr = `(${expr}) × ${n}`;
      value *= n;
    } else if (op === '/') {
      // Exact divisions only: divide by a divisor of the current value (or multiply it in first).
      const divisors = [2, 3, 4, 5, 6, 7, 8, 9].filter((d) => value % d === 0 && value !== 0);
      if (divisors.length === 0) {
        const n = rng.int(2, 9);
        expr = `(${expr}) × ${n}`;
        value *= n;
      } else {
        const d = rng.pick(divisors);
        expr = `(${expr}) ÷ ${d}`;
        value /= d;
      }
    } else {
      const n = rng.int(1, max);
      expr = `${expr} ${op === '+' ? '+' : '−'} ${n}`;
      value = op === '+' ? value + n : value - n;
    }
  }
  return { problem: `Compute ${expr}.`, answer: String(value), kind: 'auto' };
}

const NAMES = ['Ana', 'Ben', 'Chen', 'Dara', 'Eli', 'Farah', 'Goran', 'Hana'];
const ITEMS = [
  ['notebook', 'notebooks'],
  ['pen', 'pens'],
  ['apple', 'apples'],
  ['ticket', 'tickets'],
] as const;

function units(rng: Rng, level: number): Omit<EvalProblem, 'id' | 'level'> {
  const who = rng.pick(NAMES);
  const kind = rng.int(0, level === 1 ? 1 : 2);
  if (kind === 0) {
    const v1 = rng.int(3, 12) * 10;
    const h1 = rng.int(1, 4);
    if (level === 1)
      return {
        problem: `${who} drives at ${v1} km/h for ${h1} hours. How many kilometres does ${who} drive?`,
        answer: String(v1 * h1),
        kind: 'auto',
      };
    const v2 = rng.int(2, 9) * 10;
    const m2 = rng.pick([15, 30, 45, 90]);
    const total = v1 * h1 + (v2 * m2) / 60;
    return {
      problem: `${who} drives at ${v1} km/h for ${h1} hours, then at ${v2} km/h for ${m2} minutes. How many kilometres does ${who} drive in total?`,
      answer: String(total),
      kind: 'auto',
    };
  }
  if (kind === 1) {
    const [one, many] = rng.pick(ITEMS);
    const price = rng.int(2, 9) * 25; // cents
    const n = rng.int(3, 12);
    const paid = Math.ceil((price * n) / 1000) * 10;
    if (level === 1)
      return {
        problem: `One ${one} costs $${(price / 100).toFixed(2)}. How many dollars do ${n} ${many} cost?`,
        answer: String((price * n) / 100),
        kind: 'auto',
      };
    return {
      problem: `One ${one} costs $${(price / 100).toFixed(2)}. ${who} buys ${n} ${many} and pays with $${paid}. How much change, in dollars, does ${who} get?`,
      answer: String((paid * 100 - price * n) / 100),
      kind: 'auto',
    };
  }
  const laps = rng.int(3, 8);
  const perLap = rng.int(4, 15);
  const rest = rng.int(1, 4) * 5;
  const minutes = laps * perLap + (laps - 1) * rest;
  return {
    problem: `${who} swims ${laps} laps. Each lap takes ${perLap} minutes, and ${who} rests ${rest} minutes between laps (not after the last). How many hours does it take in total? Give a decimal number.`,
    answer: String(Math.round((minutes / 60) * 1e6) / 1e6),
    kind: 'auto',
  };
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const DAY_MS = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function dates(rng: Rng, level: number): Omit<EvalProblem, 'id' | 'level'> {
  const start = Date.UTC(rng.int(1990, 2030), rng.int(0, 11), rng.int(1, 28));
  if (level === 1) {
    const n = rng.int(10, 120);
    return {
      problem: `What date is ${n} days after ${iso(start)}? Answer in the form YYYY-MM-DD.`,
      answer: iso(start + n * DAY_MS),
      kind: 'text',
    };
  }
  if (level === 2) {
    return {
      problem: `On which day of the week does ${iso(start)} fall?`,
      answer: WEEKDAYS[new Date(start).getUTCDay()] as string,
      kind: 'text',
    };
  }
  const end = start + rng.int(100, 2000) * DAY_MS;
  return {
    problem: `How many days are there from ${iso(start)} to ${iso(end)} (counting the end date but not the start date)?`,
    answer: String(Math.round((end - start) / DAY_MS)),
    kind: 'auto',
  };
}

const MAKERS: Record<GeneratedSuiteName, Maker> = {
  arithmetic,
  units,
  dates,
  logic: (rng, level) => logicGrid(rng, level),
};

/** `count` problems of the named suite; the same `seed` always gives the same problems. */
export function generateSuite(
  name: GeneratedSuiteName,
  seed: number,
  count: number,
  level?: number,
): EvalProblem[] {
  const rng = new Rng(seed ^ hash(name));
  const problems: EvalProblem[] = [];
  for (let i = 0; i < count; i++) {
    const l = level ?? (i % 3) + 1;
    problems.push({ id: `${name}-${seed}-${i}`, level: l, ...MAKERS[name](rng, l) });
  }
  return problems;
}

function hash(s: string): number {
  let h = 2166136261;
  for (const c of s) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return h >>> 0;
}
