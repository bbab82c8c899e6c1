/** Harness options from `PONDER_BENCH_*` variables (read once by the entry point). */

export type ScenarioId = 'a' | 'b' | 'c' | 'd' | 'e';
const ALL: ScenarioId[] = ['a', 'b', 'c', 'd', 'e'];

export interface LoadOptions {
  /** `PONDER_BENCH_SCENARIOS`, e.g. `a,b`. Default all. */
  scenarios: ScenarioId[];
  /** `PONDER_BENCH_QUICK=1`: small sizes everywhere (a smoke run of a minute or two). */
  quick: boolean;
  /** (a) `PONDER_BENCH_SIGNUPS` (default 2000; quick 200). */
  signups: number;
  /** (a) `PONDER_BENCH_SIGNUP_CONCURRENCY` (default 50). */
  signupConcurrency: number;
  /**
   * (a) `PONDER_BENCH_SIGNUP_IPS`: distinct loopback source addresses the flood comes from, sign-up i from
   * address i mod IPS (default: one per sign-up, a distributed flood that per-IP limits cannot stop; 1: one source).
   */
  signupIps: number;
  /** (a) `PONDER_BENCH_SIGNUP_SECONDS`: time bound of each of the two runs (default 60; quick 30). */
  signupSeconds: number;
  /** `PONDER_BENCH_POW_WORKERS`: threads solving proof of work (default 2). */
  powWorkers: number;
  /** `PONDER_BENCH_SLOTS` → PONDER_ENGINE_SLOTS (default 4). */
  slots: number;
  /** `PONDER_BENCH_CONTEXT` → PONDER_ENGINE_CONTEXT_SIZE per slot (default 256: bounds each answer). */
  context: number;
  /** `PONDER_BENCH_BATCH` → PONDER_ENGINE_BATCH_SIZE (default 64). */
  batch: number;
  /** (b, d, e) `PONDER_BENCH_PLAN` → PONDER_DEFAULT_PLAN (default `pro`: one user may hold every slot). */
  plan: string;
  /**
   * `PONDER_BENCH_MAX_QUEUED` → PONDER_ADMISSION_MAX_QUEUED of the chat scenarios (default 2 × slots, so
   * that overload is shed rather than queued for minutes; 0 keeps the server's default).
   */
  maxQueued: number;
  /** `PONDER_BENCH_SERVER_ENV`: JSON object of extra `PONDER_*` settings for every instance. */
  serverEnv: Record<string, string>;
  /** `PONDER_BENCH_THREADS` → PONDER_ENGINE_THREADS of (b, c, e) (default: the server's, = cores). */
  threads: number | undefined;
  /** (b, d, e) `PONDER_BENCH_USERS` (default 20). */
  users: number;
  /** (b, d, e) `PONDER_BENCH_OVERLOAD_FACTOR`: concurrent streams per slot (default 10). */
  overloadFactor: number;
  /** (b, d) `PONDER_BENCH_OVERLOAD_SECONDS` (default 40; quick 10). */
  overloadSeconds: number;
  /** Capacity measurement: `PONDER_BENCH_CAPACITY_SECONDS` (default 15; quick 6). */
  capacitySeconds: number;
  /** (c) `PONDER_BENCH_FAIRNESS_SECONDS` per run (default 30; quick 10). */
  fairnessSeconds: number;
  /** (c) `PONDER_BENCH_FAIRNESS_PLANS`: the run is repeated with every user on each plan (default `pro,free`). */
  fairnessPlans: string[];
  /** (c) `PONDER_BENCH_LIGHT_USERS` (default 4). */
  lightUsers: number;
  /** (c) `PONDER_BENCH_LIGHT_LOAD`: light users' total offered load as a fraction of capacity (default 0.3). */
  lightLoad: number;
  /** (c) `PONDER_BENCH_HEAVY_FACTOR`: the heavy user's rate ÷ one light user's rate (default 10). */
  heavyFactor: number;
  /** (e) `PONDER_BENCH_CRASH_AFTER_SECONDS`: load before the SIGKILL (default 10; quick 5). */
  crashAfterSeconds: number;
  /** Longest wait for one turn (`PONDER_BENCH_TURN_TIMEOUT_SECONDS`, default 150). */
  turnTimeoutMs: number;
  /** Longest a shed client waits before trying again, whatever `Retry-After` says (default 2 s). */
  maxBackoffMs: number;
  pgUrl: string;
  redisUrl: string;
}

function num(env: NodeJS.ProcessEnv, name: string, def: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number ≥ ${min}, got "${raw}"`);
  return n;
}

export function readOptions(env: NodeJS.ProcessEnv): LoadOptions {
  const quick = /^(1|true|yes)$/i.test(env.PONDER_BENCH_QUICK ?? '');
  const raw = env.PONDER_BENCH_SCENARIOS;
  const scenarios = raw
    ? raw
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter((s) => s !== '')
    : ALL;
  for (const s of scenarios) {
    if (!ALL.includes(s as ScenarioId)) {
      throw new Error(`PONDER_BENCH_SCENARIOS: unknown scenario "${s}" (known: ${ALL.join(',')})`);
    }
  }
  const serverEnv = JSON.parse(env.PONDER_BENCH_SERVER_ENV ?? '{}') as unknown;
  if (typeof serverEnv !== 'object' || serverEnv === null || Array.isArray(serverEnv)) {
    throw new Error('PONDER_BENCH_SERVER_ENV must be a JSON object of PONDER_* settings');
  }
  const slots = num(env, 'PONDER_BENCH_SLOTS', 4, 1);
  const signups = num(env, 'PONDER_BENCH_SIGNUPS', quick ? 200 : 2000, 1);
  const signupConcurrency = num(env, 'PONDER_BENCH_SIGNUP_CONCURRENCY', 50, 1);
  return {
    scenarios: scenarios as ScenarioId[],
    quick,
    signups,
    signupConcurrency,
    signupIps: num(env, 'PONDER_BENCH_SIGNUP_IPS', signups, 1),
    signupSeconds: num(env, 'PONDER_BENCH_SIGNUP_SECONDS', quick ? 30 : 60, 1),
    powWorkers: num(env, 'PONDER_BENCH_POW_WORKERS', 2, 1),
    slots,
    maxQueued: num(env, 'PONDER_BENCH_MAX_QUEUED', 2 * slots, 0),
    serverEnv: Object.fromEntries(Object.entries(serverEnv).map(([k, v]) => [k, String(v)])),
    context: num(env, 'PONDER_BENCH_CONTEXT', 256, 256),
    batch: num(env, 'PONDER_BENCH_BATCH', 64, 16),
    plan: env.PONDER_BENCH_PLAN ?? 'pro',
    threads: env.PONDER_BENCH_THREADS ? num(env, 'PONDER_BENCH_THREADS', 1, 1) : undefined,
    users: num(env, 'PONDER_BENCH_USERS', 20, 1),
    overloadFactor: num(env, 'PONDER_BENCH_OVERLOAD_FACTOR', 10, 1),
    overloadSeconds: num(env, 'PONDER_BENCH_OVERLOAD_SECONDS', quick ? 10 : 40, 1),
    capacitySeconds: num(env, 'PONDER_BENCH_CAPACITY_SECONDS', quick ? 6 : 15, 1),
    fairnessSeconds: num(env, 'PONDER_BENCH_FAIRNESS_SECONDS', quick ? 10 : 30, 1),
    fairnessPlans: (env.PONDER_BENCH_FAIRNESS_PLANS ?? 'pro,free')
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== ''),
    lightUsers: num(env, 'PONDER_BENCH_LIGHT_USERS', 4, 1),
    lightLoad: num(env, 'PONDER_BENCH_LIGHT_LOAD', 0.3, 0.01),
    heavyFactor: num(env, 'PONDER_BENCH_HEAVY_FACTOR', 10, 1),
    crashAfterSeconds: num(env, 'PONDER_BENCH_CRASH_AFTER_SECONDS', quick ? 5 : 10, 1),
    turnTimeoutMs: num(env, 'PONDER_BENCH_TURN_TIMEOUT_SECONDS', 150, 1) * 1000,
    maxBackoffMs: 2000,
    pgUrl: env.PONDER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    redisUrl: env.PONDER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  };
}
