/**
 * `npm run bench:search`: what the Search toggle costs. A real `ponder serve` (generated tiny model),
 * a scripted SearXNG and five real HTML result pages, all on 127.0.0.1; turns over the web API.
 *  1. Time from send to the first reasoning token, with and without search, interleaved (median, p90).
 *  2. Ten users searching at once while `/healthz` is polled every 20 ms: its latency percentiles.
 * Knobs: PONDER_BENCH_TURNS (per arm of 1, default 20), PONDER_BENCH_SEARCHERS (default 10),
 * PONDER_BENCH_ROUNDS (searches per searcher in 2, default 3). Everything started is stopped at the end.
 */
import { performance } from 'node:perf_hooks';
import { ensureTestModel } from '../src/inference/gguf/test-model.ts';
import { ScriptedServer } from '../src/inference/web/search-contract.ts';
import { startPageServer } from '../src/inference/web/testing.ts';
import { readToFirstReasoning } from './first-reasoning.ts';
import { type Instance, setupCodeOf, sleep, startInstance, stopAll } from './load/instances.ts';

const TURNS = Number(process.env.PONDER_BENCH_TURNS ?? 20);
const SEARCHERS = Number(process.env.PONDER_BENCH_SEARCHERS ?? 10);
const ROUNDS = Number(process.env.PONDER_BENCH_ROUNDS ?? 3);

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
const fmt = (n: number): string => n.toFixed(0);

async function signup(instance: Instance, email: string): Promise<string> {
  for (;;) {
    const res = await fetch(`${instance.url}/api/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: instance.url },
      body: JSON.stringify({
        email,
        password: 'search bench password 1234',
        setupCode: setupCodeOf(instance),
      }),
    });
    const cookie = /ponder_session=[^;]+/.exec(res.headers.get('set-cookie') ?? '')?.[0];
    if (res.status === 201 && cookie) return cookie;
    if (res.status === 428 || res.status === 429) {
      await sleep(1000);
      continue;
    }
    throw new Error(`sign-up failed: ${res.status} ${await res.text()}`);
  }
}

/** One turn; resolves with the time to the first reasoning event (ms) once the answer ended. */
async function turn(instance: Instance, cookie: string, search: boolean): Promise<number> {
  const headers = { 'content-type': 'application/json', origin: instance.url, cookie };
  const conv = await fetch(`${instance.url}/api/conversations`, { method: 'POST', headers, body: '{}' });
  const { id } = (await conv.json()) as { id: string };
  const start = performance.now();
  const res = await fetch(`${instance.url}/api/conversations/${id}/messages`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      content: 'How do reasoning models decide how long to think?',
      thinking: { enabled: true, budgetTokens: 16 },
      ...(search ? { search: true } : {}),
    }),
  });
  const { first } = await readToFirstReasoning(res, start, (generation) =>
    fetch(`${instance.url}/api/generations/${generation}/stop`, { method: 'POST', headers, body: '{}' }),
  );
  return first;
}

async function main(): Promise<void> {
  const model = await ensureTestModel('tiny');
  const pages = await startPageServer();
  const searx = new ScriptedServer();
  await searx.start();
  const result = (path: string, title: string) => ({ url: `${pages.origin}${path}`, title, content: title });
  searx.fallback = {
    status: 200,
    body: JSON.stringify({
      query: 'q',
      results: [
        result('/article.html', 'Reasoning models'),
        result('/xss.html', 'Kitchen tips'),
        result('/injection.html', 'Hiking boots'),
        result('/notes.txt', 'Field notes'),
        result('/article.html?copy=2', 'Reasoning models (copy)'),
      ],
    }),
  };
  let instance: Instance | undefined;
  try {
    instance = await startInstance({
      name: 'search',
      model,
      env: {
        PONDER_SEARCH_PROVIDER: 'searxng',
        PONDER_SEARCH_URL: searx.baseUrl,
        PONDER_SEARCH_MAX_RESULTS: '5',
        PONDER_FETCH_ALLOW_PRIVATE_HOSTS: '127.0.0.1',
        PONDER_ENGINE_SLOTS: '4',
        PONDER_ENGINE_CONTEXT_SIZE: '4096',
        PONDER_DEFAULT_PLAN: 'pro',
      },
    });
    const say = (msg: string) => process.stderr.write(`bench:search: ${msg}\n`);
    say(`instance up at ${instance.url}; signing up`);
    const admin = await signup(instance, 'bench-search-0@example.com');
    say('warming up');
    await turn(instance, admin, false); // warm-up: model load, first prefill
    await turn(instance, admin, true);
    say(`${TURNS} turns per arm`);

    // 1. Time to the first reasoning token, with and without search, interleaved.
    const plain: number[] = [];
    const searched: number[] = [];
    for (let i = 0; i < TURNS; i++) {
      plain.push(await turn(instance, admin, false));
      searched.push(await turn(instance, admin, true));
    }
    const pagesRead = pages.requested.length;

    // 2. Ten users searching at once; /healthz polled every 20 ms meanwhile.
    say(`${SEARCHERS} users searching at once`);
    const users = await Promise.all(
      Array.from({ length: SEARCHERS }, (_, i) =>
        signup(instance as Instance, `bench-search-${i + 1}@example.com`),
      ),
    );
    const health: number[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const t = performance.now();
        await fetch(`${(instance as Instance).url}/healthz`).then((r) => r.arrayBuffer());
        health.push(performance.now() - t);
        await sleep(20);
      }
    })();
    const loadStart = performance.now();
    await Promise.all(
      users.map(async (cookie) => {
        for (let r = 0; r < ROUNDS; r++) await turn(instance as Instance, cookie, true);
      }),
    );
    const loadMs = performance.now() - loadStart;
    polling = false;
    await poller;

    const rows: string[][] = [
      ['metric', 'measured', 'target'],
      [
        `send → first reasoning token, median / p90, no search (${plain.length} turns)`,
        `${fmt(pct(plain, 50))} / ${fmt(pct(plain, 90))} ms`,
        '',
      ],
      [
        `send → first reasoning token, median / p90, Search on (${searched.length} turns, 5 result pages)`,
        `${fmt(pct(searched, 50))} / ${fmt(pct(searched, 90))} ms`,
        '',
      ],
      ['added by the search (median)', `+${fmt(pct(searched, 50) - pct(plain, 50))} ms`, '≤ +1500 ms'],
      ['result pages fetched in part 1', String(pagesRead), ''],
      [
        `/healthz while ${SEARCHERS} users search at once (${health.length} polls over ${fmt(loadMs / 1000)} s): p50 / p99 / max`,
        `${fmt(pct(health, 50))} / ${fmt(pct(health, 99))} / ${fmt(Math.max(...health))} ms`,
        'p99 < 50 ms',
      ],
    ];
    const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
    const line = (r: string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join(' | ')} |`;
    console.log(
      '\nbench:search — tiny generated model, scripted SearXNG, real HTML pages, all on loopback\n',
    );
    console.log(line(rows[0] ?? []));
    console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
    for (const r of rows.slice(1)) console.log(line(r));
  } finally {
    await stopAll();
    await searx.stop();
    await pages.close();
  }
}

await main();
