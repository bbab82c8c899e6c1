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
   * Virtual games each model plays against a fixed reference of average strength, half of them won:
   * keeps a model that never won (or never lost) finite and pulls thin evidence toward the mean.
   * 0 gives the plain maximum-likelihood fit. Default 1.
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

/** Wins (ties as halves) and games of every ordered pair: `wins[i][j]` is i's score against j. */
function tally(
  models: readonly string[],
  battles: readonly Battle[],
): { wins: number[][]; games: number[][] } {
  const index = new Map(models.map((m, i) => [m, i]));
  const n = models.length;
  const wins = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const games = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (const b of battles) {
    const i = index.get(b.modelA);
    const j = index.get(b.modelB);
    if (i === undefined || j === undefined || i === j) continue;
    games[i]![j]! += 1;
    games[j]![i]! += 1;
    const scoreA = b.vote === 'a' ? 1 : b.vote === 'b' ? 0 : 0.5;
    wins[i]![j]! += scoreA;
    wins[j]![i]! += 1 - scoreA;
  }
  return { wins, games };
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
  const prior = options.prior ?? 1;
  const maxIterations = options.maxIterations ?? 10_000;
  const tolerance = options.tolerance ?? 1e-10;
  const n = models.length;
  const { wins, games } = tally(models, battles);
  const score = wins.map((row) => row.reduce((s, w) => s + w, 0) + prior / 2);
  let p = new Array<number>(n).fill(1);
  for (let iter = 0; iter < maxIterations; iter++) {
    const next = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      // The reference model has strength 1.
      let denominator = prior > 0 ? prior / (p[i]! + 1) : 0;
      for (let j = 0; j < n; j++)
        if (j !== i && games[i]![j]! > 0) denominator += games[i]![j]! / (p[i]! + p[j]!);
      next[i] = denominator > 0 ? score[i]! / denominator : p[i]!;
    }
    if (prior === 0) {
      // Without a reference the scale is free: fix the geometric mean at 1 (each step stays MM).
      const meanLog = next.reduce((s, v) => s + Math.log(Math.max(v, Number.MIN_VALUE)), 0) / n;
      for (let i = 0; i < n; i++) next[i] = next[i]! / Math.exp(meanLog);
    }
    let change = 0;
    for (let i = 0; i < n; i++)
      change = Math.max(change, Math.abs(next[i]! - p[i]!) / Math.max(p[i]!, 1e-300));
    p = next;
    if (change < tolerance) break;
  }
  const logs = p.map((v) => SCALE * Math.log(Math.max(v, Number.MIN_VALUE)));
  const mean = logs.reduce((s, v) => s + v, 0) / Math.max(1, n);
  return new Map(models.map((m, i) => [m, CENTRE + logs[i]! - mean]));
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
  const ratings = bradleyTerry(models, valid, options);
  const samples = new Map(models.map((m) => [m, [] as number[]]));
  const random = seededRandom(options.seed ?? 1);
  for (let r = 0; r < rounds && valid.length > 0; r++) {
    const resample = Array.from({ length: valid.length }, () => valid[Math.floor(random() * valid.length)]!);
    const present = new Set(resample.flatMap((b) => [b.modelA, b.modelB]));
    const fitted = bradleyTerry(models, resample, options);
    // A model absent from a resample has no evidence there: its sample is skipped, not set to the mean.
    for (const m of present) samples.get(m)?.push(fitted.get(m)!);
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
    const sorted = samples.get(model)!.sort((x, y) => x - y);
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
