/**
 * The arena's leaderboard: Bradley–Terry strengths fitted by maximum likelihood with Hunter's MM
 * iterations (Hunter 2004, "MM algorithms for generalized Bradley–Terry models"), shown on the Elo scale
 * (400·log10 of the strength, centred on 1000), with bootstrap 95% confidence intervals (battles
 * resampled with replacement). Ties and "both bad" count as half a win for each side, as LMSYS's
 * Chatbot Arena does.
 */
import type { ArenaLeaderboard, ArenaLeaderboardEntry, ArenaVote } from '../../api/arena.ts';

export interface Battle {
  modelA: string;
  modelB: string;
  vote: ArenaVote;
}

export interface FitOptions {
  /**
   * Virtual ties added between every two models that met (each half a win for both): keeps a model that
   * never won (or never lost) finite and pulls thin evidence toward an even record, without joining
   * models that never met. 0 gives the plain maximum-likelihood fit. Default 1.
   */
  prior?: number;
  /** Default 10 000. */
  maxIterations?: number;
  /** Largest relative change of a strength at which the fit stops. Default 1e-10. */
  tolerance?: number;
}

export interface LeaderboardOptions extends FitOptions {
  /** Bootstrap resamples. Default 200. */
  rounds?: number;
  /** Seed of the resampling, so one set of votes always gives the same intervals. Default 1. */
  seed?: number;
}

const SCALE = 400 / Math.LN10;
const CENTRE = 1000;

/** A battle as indices into the model list, with model `i`'s score (1 win, 0.5 tie, 0 loss) against `j`. */
interface IndexedBattle {
  i: number;
  j: number;
  score: number;
}

function indexBattles(models: readonly string[], battles: readonly Battle[]): IndexedBattle[] {
  const index = new Map(models.map((m, k) => [m, k]));
  const out: IndexedBattle[] = [];
  for (const b of battles) {
    const i = index.get(b.modelA);
    const j = index.get(b.modelB);
    if (i === undefined || j === undefined || i === j) continue;
    out.push({ i, j, score: b.vote === 'a' ? 1 : b.vote === 'b' ? 0 : 0.5 });
  }
  return out;
}

/** Wins (ties as halves) and games of every ordered pair: `wins[i][j]` is i's score against j. */
interface Tally {
  wins: Float64Array[];
  games: Float64Array[];
}

function emptyTally(n: number): Tally {
  return {
    wins: Array.from({ length: n }, () => new Float64Array(n)),
    games: Array.from({ length: n }, () => new Float64Array(n)),
  };
}

function add(t: Tally, b: IndexedBattle, times = 1): void {
  t.games[b.i]![b.j]! += times;
  t.games[b.j]![b.i]! += times;
  t.wins[b.i]![b.j]! += b.score * times;
  t.wins[b.j]![b.i]! += (1 - b.score) * times;
}

/** Hunter's MM iterations on a tally; returns the strengths (geometric mean 1 without a prior). */
function fitStrengths(t: Tally, options: FitOptions, start?: readonly number[]): number[] {
  const prior = options.prior ?? 1;
  const maxIterations = options.maxIterations ?? 10_000;
  const tolerance = options.tolerance ?? 1e-10;
  const n = t.wins.length;
  // The prior's virtual ties join the real games of each pair that met.
  const games = t.games.map((row) => row.map((g) => (g > 0 ? g + prior : 0)));
  const score = t.wins.map((row, i) =>
    row.reduce((sum, w, j) => sum + w + (t.games[i]![j]! > 0 ? prior / 2 : 0), 0),
  );
  let p = start ? [...start] : new Array<number>(n).fill(1);
  for (let iter = 0; iter < maxIterations; iter++) {
    const next = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      let denominator = 0;
      const row = games[i]!;
      for (let j = 0; j < n; j++) if (j !== i && row[j]! > 0) denominator += row[j]! / (p[i]! + p[j]!);
      next[i] = denominator > 0 ? score[i]! / denominator : p[i]!;
    }
    // The likelihood depends only on ratios: fix the geometric mean at 1 (each step stays MM).
    const meanLog = next.reduce((sum, v) => sum + Math.log(Math.max(v, Number.MIN_VALUE)), 0) / n;
    for (let i = 0; i < n; i++) next[i] = next[i]! / Math.exp(meanLog);
    let change = 0;
    for (let i = 0; i < n; i++)
      change = Math.max(change, Math.abs(next[i]! - p[i]!) / Math.max(p[i]!, 1e-300));
    p = next;
    if (change < tolerance) break;
  }
  return p;
}

/** Strengths on the Elo scale (400·log10), centred on 1000. */
function toRatings(p: readonly number[]): number[] {
  const logs = p.map((v) => SCALE * Math.log(Math.max(v, Number.MIN_VALUE)));
  const mean = logs.reduce((sum, v) => sum + v, 0) / Math.max(1, logs.length);
  return logs.map((v) => CENTRE + v - mean);
}

/**
 * Maximum-likelihood Bradley–Terry ratings (Elo scale, mean 1000) of `models` from `battles`.
 * With `prior: 0` a model that never won (or never lost) has no finite rating: its value then reflects
 * where the iterations stopped, so use the default prior for real data.
 */
export function bradleyTerry(
  models: readonly string[],
  battles: readonly Battle[],
  options: FitOptions = {},
): Map<string, number> {
  const tally = emptyTally(models.length);
  for (const b of indexBattles(models, battles)) add(tally, b);
  const ratings = toRatings(fitStrengths(tally, options));
  return new Map(models.map((m, k) => [m, ratings[k]!]));
}

/** A small seeded PRNG (mulberry32): the bootstrap must not change between two page loads. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The value at quantile `q` (0..1) of sorted `values`, linearly interpolated. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** The instance leaderboard: ratings, bootstrap 95% intervals and each model's record, best first. */
export function leaderboard(battles: readonly Battle[], options: LeaderboardOptions = {}): ArenaLeaderboard {
  const rounds = Math.max(0, Math.floor(options.rounds ?? 200));
  const models = [...new Set(battles.flatMap((b) => [b.modelA, b.modelB]))].sort();
  const valid = battles.filter((b) => b.modelA !== b.modelB);
  const indexed = indexBattles(models, valid);
  const full = emptyTally(models.length);
  for (const b of indexed) add(full, b);
  const point = fitStrengths(full, options);
  const pointRatings = toRatings(point);
  const ratings = new Map(models.map((m, k) => [m, pointRatings[k]!]));
  const samples = models.map(() => [] as number[]);
  const random = seededRandom(options.seed ?? 1);
  // Battles with the same pair and outcome are interchangeable: a resample only counts how often each
  // kind was drawn (a few hundred kinds however many votes), which keeps a round cheap.
  const kinds: IndexedBattle[] = [];
  const kindIndex = new Map<string, number>();
  const kindOf = new Int32Array(indexed.length);
  indexed.forEach((b, k) => {
    const key = `${b.i}:${b.j}:${b.score}`;
    let id = kindIndex.get(key);
    if (id === undefined) {
      id = kinds.length;
      kinds.push(b);
      kindIndex.set(key, id);
    }
    kindOf[k] = id;
  });
  // Resamples start from the point estimate: they land near it, so the iterations are few.
  const resampleOptions = { ...options, tolerance: Math.max(options.tolerance ?? 1e-10, 1e-9) };
  const drawn = new Int32Array(kinds.length);
  for (let r = 0; r < rounds && indexed.length > 0; r++) {
    drawn.fill(0);
    for (let k = 0; k < indexed.length; k++) drawn[kindOf[Math.floor(random() * indexed.length)]!]! += 1;
    const tally = emptyTally(models.length);
    const present = new Uint8Array(models.length);
    kinds.forEach((b, id) => {
      const times = drawn[id]!;
      if (times === 0) return;
      add(tally, b, times);
      present[b.i] = 1;
      present[b.j] = 1;
    });
    const fitted = toRatings(fitStrengths(tally, resampleOptions, point));
    // A model absent from a resample has no evidence there: its sample is skipped, not set to the mean.
    for (let m = 0; m < models.length; m++) if (present[m]) samples[m]!.push(fitted[m]!);
  }
  const entries: ArenaLeaderboardEntry[] = models.map((model) => {
    let wins = 0;
    let losses = 0;
    let ties = 0;
    for (const b of valid) {
      const side = b.modelA === model ? 'a' : b.modelB === model ? 'b' : null;
      if (!side) continue;
      if (b.vote === side) wins++;
      else if (b.vote === 'a' || b.vote === 'b') losses++;
      else ties++;
    }
    const rating = ratings.get(model)!;
    const sorted = samples[models.indexOf(model)]!.sort((x, y) => x - y);
    // A percentile interval can miss a skewed point estimate by a hair; it is widened to hold it.
    return {
      model,
      rating,
      ciLow: sorted.length > 0 ? Math.min(rating, quantile(sorted, 0.025)) : rating,
      ciHigh: sorted.length > 0 ? Math.max(rating, quantile(sorted, 0.975)) : rating,
      votes: wins + losses + ties,
      wins,
      losses,
      ties,
    };
  });
  entries.sort((x, y) => y.rating - x.rating || x.model.localeCompare(y.model));
  return { method: 'bradley-terry', battles: valid.length, bootstrapRounds: rounds, models: entries };
}
