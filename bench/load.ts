/**
 * `npm run bench:load`: the capacity load harness (design §7). Real `ponder serve` child processes on
 * 127.0.0.1, the generated tiny model, the documented HTTP API only:
 *  (a) sign-up flood, (b) chat overload, (c) fairness, (d) two instances on PostgreSQL + Redis,
 *  (e) SIGKILL mid-load and restart.
 * Chat load uses the web API (`POST /api/conversations/:id/messages`, SSE, session cookies), the same
 * path the crash check needs; each turn opens a fresh conversation, and the per-slot context bounds
 * each answer. Options: `PONDER_BENCH_*` (bench/load/options.ts), e.g.
 * `PONDER_BENCH_SCENARIOS=a,b PONDER_BENCH_QUICK=1 npm run bench:load`; `PONDER_BENCH_DUMP=turns.jsonl`
 * writes every chat turn (timings, outcome; never a cookie) for a closer look.
 * Every process started is stopped at the end, on failure and on Ctrl-C; temporary data is removed.
 */
import { availableParallelism } from 'node:os';
import { ensureTestModel } from '../src/inference/gguf/test-model.ts';
import { dumpTurnsTo } from './load/chat.ts';
import { killAllNow, removeTempDirs, startInstance, stopAll, stopInstance } from './load/instances.ts';
import { type LoadOptions, readOptions, type ScenarioId } from './load/options.ts';
import { PowPool } from './load/pow-pool.ts';
import { crash } from './load/scenario-crash.ts';
import { fairness } from './load/scenario-fairness.ts';
import { overload } from './load/scenario-overload.ts';
import { signupFlood } from './load/scenario-signup.ts';
import { createPgDatabase, disposeServices, redisPrefix } from './load/services.ts';
import { type Row, renderSection, type Section } from './load/stats.ts';
import { createUsers } from './load/users.ts';

function engineEnv(opts: LoadOptions): Record<string, string> {
  return {
    PONDER_ENGINE_SLOTS: String(opts.slots),
    PONDER_ENGINE_CONTEXT_SIZE: String(opts.context),
    PONDER_ENGINE_BATCH_SIZE: String(opts.batch),
    PONDER_DEFAULT_PLAN: opts.plan,
    ...(opts.maxQueued > 0 ? { PONDER_ADMISSION_MAX_QUEUED: String(opts.maxQueued) } : {}),
    ...(opts.threads ? { PONDER_ENGINE_THREADS: String(opts.threads) } : {}),
    ...opts.serverEnv,
  };
}

const TITLES: Record<ScenarioId, string> = {
  a: '(a) sign-up flood',
  b: '(b) chat overload, one instance (SQLite)',
  c: '(c) fairness: one heavy user',
  d: '(d) two instances on PostgreSQL + Redis',
  e: '(e) SIGKILL mid-load, restart on the same data',
};

async function runScenario(
  id: ScenarioId,
  opts: LoadOptions,
  model: string,
  pool: PowPool,
): Promise<Section> {
  const env = engineEnv(opts);
  const queue = opts.maxQueued > 0 ? `queue ≤ ${opts.maxQueued}` : 'server default queue';
  const chatNote = `web SSE with session cookies, plan "${opts.plan}", ${opts.slots} slots × ${opts.context} tokens context and ${queue} per instance, tiny generated model`;
  switch (id) {
    case 'a': {
      const rows: Row[] = [];
      const flood = async (label: string, env: Record<string, string>, gateOff = false): Promise<void> => {
        const instance = await startInstance({ name: 'a', model, env: { ...env, ...opts.serverEnv } });
        try {
          rows.push(...(await signupFlood(instance, opts, pool, label, gateOff)));
        } catch (err) {
          rows.push([
            `${label}: flood`,
            'completes',
            `failed: ${(err as Error).message.slice(0, 120)}`,
            'MISS',
          ]);
        } finally {
          await stopInstance(instance);
        }
      };
      await flood('gate as shipped', {});
      // The server's own sign-up throughput, with the proof-of-work gate never switching on.
      await flood('PoW gate off', { PONDER_SIGNUP_POW_ON_RATE: '100000000' }, true);
      return {
        title: TITLES.a,
        notes: [
          `${opts.signups} sign-ups offered at concurrency ${opts.signupConcurrency} from ${opts.signupIps} loopback address(es), each run bounded to ${opts.signupSeconds} s; 428 → solve the PoW in ${opts.powWorkers} worker thread(s) and retry; 429 → wait Retry-After and retry`,
          'run twice: with the gate as shipped (it switches on under the flood), and with it off (PONDER_SIGNUP_POW_ON_RATE huge) to see the server alone',
        ],
        rows,
      };
    }
    case 'b': {
      const instance = await startInstance({ name: 'b', model, env });
      try {
        const users = await createUsers(instance, opts.users, pool, 'b');
        const rows = await overload([instance], users, opts);
        return {
          title: TITLES.b,
          notes: [
            `${chatNote}; ${opts.overloadFactor} × ${opts.slots} closed-loop streams from ${opts.users} users for ${opts.overloadSeconds} s; a shed client waits Retry-After (at most ${opts.maxBackoffMs / 1000} s)`,
          ],
          rows,
        };
      } finally {
        await stopInstance(instance);
      }
    }
    case 'c': {
      const rows: Row[] = [];
      for (const plan of opts.fairnessPlans) {
        const instance = await startInstance({
          name: 'c',
          model,
          env: { ...env, PONDER_DEFAULT_PLAN: plan },
        });
        try {
          const users = await createUsers(instance, Math.max(opts.lightUsers + 1, 2 * opts.slots), pool, 'c');
          const planRows = await fairness(instance, users, opts);
          rows.push(...planRows.map(([metric, ...rest]) => [`plan ${plan}: ${metric}`, ...rest] as Row));
        } finally {
          await stopInstance(instance);
        }
      }
      return {
        title: TITLES.c,
        notes: [
          `${chatNote.replace(/plan "[^"]*", /, '')}; every user on the same plan, once per plan (${opts.fairnessPlans.join(', ')}); ${opts.lightUsers} light users at a fixed rate (together ${opts.lightLoad * 100} % of capacity), the heavy user at ${opts.heavyFactor} × one light user's rate; two runs of ${opts.fairnessSeconds} s each`,
        ],
        rows,
      };
    }
    case 'd': {
      await using db = await createPgDatabase(opts.pgUrl);
      await using redis = await redisPrefix(opts.redisUrl);
      const shared = {
        ...env,
        // Two engines on this machine: split the cores, or their threads spin against each other.
        PONDER_ENGINE_THREADS: String(Math.max(1, Math.floor(availableParallelism() / 2))),
        ...opts.serverEnv,
        PONDER_DATABASE_URL: db.url,
        PONDER_REDIS_URL: opts.redisUrl,
        PONDER_REDIS_KEY_PREFIX: redis.prefix,
      };
      // One after the other: the first migrates the fresh database.
      const a = await startInstance({ name: 'd1', model, env: shared });
      const b = await startInstance({ name: 'd2', model, env: shared }).catch(async (err: unknown) => {
        await stopInstance(a);
        throw err;
      });
      try {
        const users = await createUsers(a, opts.users, pool, 'd');
        const rows = await overload([a, b], users, opts);
        const keys = await redis.count().catch(() => -1);
        const redisRow: Row = [
          `Redis keys under ${redis.prefix}`,
          '> 0 (shared state)',
          keys < 0 ? 'Redis unreachable' : keys === 0 ? 'n/a: not wired (none)' : String(keys),
          keys > 0 ? 'ok' : 'n/a',
        ];
        return {
          title: TITLES.d,
          notes: [
            `${chatNote}, ${shared.PONDER_ENGINE_THREADS} engine thread(s) each; fresh database ${db.name} (dropped after), Redis ${opts.redisUrl} (key prefix removed after); client i → instance i mod 2, ${opts.overloadFactor} × ${2 * opts.slots} streams for ${opts.overloadSeconds} s`,
          ],
          rows: [...rows, redisRow],
        };
      } finally {
        await stopInstance(b);
        await stopInstance(a);
      }
    }
    case 'e': {
      const instance = await startInstance({ name: 'e', model, env });
      try {
        const users = await createUsers(instance, opts.users, pool, 'e');
        return {
          title: TITLES.e,
          notes: [
            `${chatNote}; ${opts.overloadFactor} × ${opts.slots} streams from ${opts.users} users, SIGKILL to the process group (server + engine) after ${opts.crashAfterSeconds} s`,
          ],
          rows: await crash(instance, users, opts),
        };
      } finally {
        await stopInstance(instance);
      }
    }
    default:
      return id satisfies never;
  }
}

async function main(): Promise<void> {
  const opts = readOptions(process.env);
  let interrupted = false;
  const onSignal = (): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write('\nbench:load: interrupted, stopping every instance…\n');
    void stopAll()
      .then(disposeServices)
      .finally(() => {
        removeTempDirs();
        process.exit(130);
      });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', killAllNow);

  dumpTurnsTo(process.env.PONDER_BENCH_DUMP);
  const model = await ensureTestModel('tiny');
  await using pool = new PowPool(opts.powWorkers);
  const started = Date.now();
  const sections: Section[] = [];
  try {
    for (const id of opts.scenarios) {
      process.stderr.write(`bench:load: ${TITLES[id]}…\n`);
      const t0 = Date.now();
      let section: Section;
      try {
        section = await runScenario(id, opts, model, pool);
      } catch (err) {
        section = {
          title: TITLES[id],
          notes: [],
          rows: [
            [
              'scenario',
              'completes',
              `failed: ${(err as Error).message.split('\n')[0]!.slice(0, 160)}`,
              'MISS',
            ],
          ],
        };
        process.stderr.write(`bench:load: ${TITLES[id]} failed: ${(err as Error).stack ?? String(err)}\n`);
      }
      section.notes.push(`took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      sections.push(section);
      console.log(`\n${renderSection(section)}`);
    }
  } finally {
    await stopAll();
    removeTempDirs();
  }
  console.log(
    `\nbench:load: ${sections.length} scenario(s) in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
}

await main();
