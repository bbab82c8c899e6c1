/**
 * `npm run bench:gateway`: what the upstream hop costs.
 *  1. Ponder A serves the generated tiny model from its embedded engine; Ponder B has no engine and uses A's
 *     `/v1` as its upstream. The same streaming requests go to A directly and through B, interleaved, at 1
 *     and 16 concurrent streams: aggregate tokens/s and time to first token (median of the rounds).
 *  2. Relay: Ponder C uses a scripted upstream (in this process) that sends chunks as fast as it can;
 *     chunks/s one Ponder process relays, and its CPU time per 1,000 chunks (from /proc).
 * Everything runs on 127.0.0.1 as child processes (`node bin/ponder.js serve`) and is stopped at the end.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ensureTestModel } from '../src/inference/gguf/test-model.ts';

const BIN = resolve(import.meta.dirname, '../bin/ponder.js');
const MASTER_KEY = 'b'.repeat(64);
const ROUNDS = Number(process.env.PONDER_BENCH_ROUNDS ?? 3);
const TOKENS = Number(process.env.PONDER_BENCH_TOKENS ?? 48);
const RELAY_CHUNKS = Number(process.env.PONDER_BENCH_RELAY_CHUNKS ?? 20_000);
const CLK_TCK = 100;
/** `tiny` (fast: the hop's cost is as visible as it gets) or `r1-1.5b` (real decode speed). */
const PRESET = (process.env.PONDER_BENCH_PRESET ?? 'tiny') as 'tiny' | 'r1-1.5b';
/** llama.cpp threads of Ponder A. One leaves the second core to the HTTP processes: B is meant to run on another machine than its upstream, and on 2 cores a busy neighbour stalls a 2-thread engine. */
const ENGINE_THREADS = process.env.PONDER_BENCH_THREADS ?? '1';

interface Instance {
  url: string;
  key: string;
  child: ChildProcess;
  dir: string;
}

/**
 * A plan that lets the benchmark user run every stream at once, so the table measures the hop and not
 * admission control (which `bench:load` measures).
 */
const BENCH_CONFIG = {
  plans: {
    bench: {
      reasoningMessagesPerDay: 1_000_000,
      tokensPerDay: 1_000_000_000,
      maxConcurrency: 64,
      priority: 1,
      maxThinkingBudget: 32768,
    },
  },
  defaultPlan: 'bench',
};

function baseEnv(dir: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PONDER_')));
  const configFile = join(dir, 'ponder.config.json');
  writeFileSync(configFile, JSON.stringify(BENCH_CONFIG));
  return {
    ...env,
    PONDER_CONFIG: configFile,
    PONDER_DATA_DIR: dir,
    PONDER_MASTER_KEY: MASTER_KEY,
    PONDER_LOG_LEVEL: 'warn',
    ...extra,
  };
}

function cli(args: string[], env: NodeJS.ProcessEnv, input?: string): string {
  const r = spawnSync(process.execPath, [BIN, ...args], { env, input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ponder ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim();
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

async function startPonder(
  name: string,
  extraEnv: Record<string, string>,
  args: string[] = [],
): Promise<Instance> {
  const dir = mkdtempSync(join(tmpdir(), `ponder-bench-${name}-`));
  const env = baseEnv(dir, extraEnv);
  cli(['user', 'create', '--email', `${name}@bench.local`, '--password-stdin'], env, 'bench password 1234\n');
  const key = cli(['key', 'create', '--user', `${name}@bench.local`, '--name', 'bench'], env);
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port), ...args], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    const ok = await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })
      .then(async (r) => r.ok && ((await r.json()) as { data: unknown[] }).data.length > 0)
      .catch(() => false);
    if (ok) return { url, key, child, dir };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${name} did not start`);
}

async function stopPonder(p: Instance): Promise<void> {
  const exited = new Promise((r) => p.child.once('exit', r));
  p.child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  p.child.kill('SIGKILL');
  rmSync(p.dir, { recursive: true, force: true });
}

interface StreamResult {
  ttftMs: number;
  tokens: number;
  endAt: number;
  chunks: number;
}

/** One streaming completion read as raw SSE; counts deltas and reads usage. */
async function streamOnce(
  target: Instance,
  model: string,
  maxTokens: number,
  i: number,
): Promise<StreamResult> {
  const start = performance.now();
  const res = await fetch(`${target.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${target.key}` },
    body: JSON.stringify({
      model,
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: maxTokens,
      seed: i,
      // The target's port leads the prompt, so a run through B never reuses KV that a direct run left in A.
      messages: [{ role: 'user', content: `${new URL(target.url).port}/${i}: tell me about rivers` }],
    }),
  });
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  let ttftMs = 0;
  let tokens = 0;
  let chunks = 0;
  let buffer = '';
  const decoder = new TextDecoder();
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let nl = buffer.indexOf('\n\n');
    while (nl >= 0) {
      const event = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 2);
      nl = buffer.indexOf('\n\n');
      if (!event.startsWith('data: ') || event === 'data: [DONE]') continue;
      const json = JSON.parse(event.slice(6)) as {
        choices: Array<{ delta: { content?: string; reasoning_content?: string } }>;
        usage?: { completion_tokens: number };
      };
      const delta = json.choices[0]?.delta;
      if (delta && (delta.content || delta.reasoning_content)) {
        chunks++;
        if (!ttftMs) ttftMs = performance.now() - start;
      }
      if (json.usage) tokens = json.usage.completion_tokens;
    }
  }
  return { ttftMs, tokens: tokens || chunks, endAt: performance.now(), chunks };
}

async function load(target: Instance, model: string, concurrency: number, round: number) {
  const start = performance.now();
  const results = await Promise.all(
    Array.from({ length: concurrency }, (_, i) => streamOnce(target, model, TOKENS, round * 100 + i)),
  );
  const elapsed = (Math.max(...results.map((r) => r.endAt)) - start) / 1000;
  const tokens = results.reduce((s, r) => s + r.tokens, 0);
  const ttfts = results.map((r) => r.ttftMs).sort((a, b) => a - b);
  return { tokPerS: tokens / elapsed, ttftMedian: ttfts[Math.floor(ttfts.length / 2)] ?? 0 };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** An upstream that answers every chat request with `RELAY_CHUNKS` deltas written as fast as possible. */
async function startFastUpstream(): Promise<{ server: Server; url: string }> {
  const line = (delta: object, finish: string | null = null) =>
    `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const server = createServer((req, res) => {
    if (req.url?.endsWith('/models')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [{ id: 'fast', object: 'model' }] }));
      return;
    }
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const half = RELAY_CHUNKS / 2;
    let i = 0;
    const pump = (): void => {
      while (i < RELAY_CHUNKS) {
        const text = i < half ? { reasoning_content: `r${i} ` } : { content: `t${i} ` };
        i++;
        if (!res.write(line(text))) {
          res.once('drain', pump);
          return;
        }
      }
      res.write(line({}, 'stop'));
      const usage = { prompt_tokens: 10, completion_tokens: RELAY_CHUNKS, total_tokens: RELAY_CHUNKS + 10 };
      res.end(
        `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [], usage })}\n\ndata: [DONE]\n\n`,
      );
    };
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
  return [
    line(rows[0]!),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.slice(1).map(line),
  ].join('\n');
}

async function main(): Promise<void> {
  const quant = PRESET === 'tiny' ? 'q8_0' : 'q4_0';
  const model = await ensureTestModel(PRESET, quant);
  const started: Instance[] = [];
  let fast: Server | undefined;
  try {
    process.stderr.write(
      `bench:gateway: starting Ponder A (embedded, ${PRESET} model, 16 slots) and B (upstream → A)…\n`,
    );
    const a = await startPonder(
      'a',
      {
        PONDER_ENGINE_SLOTS: '16',
        PONDER_ENGINE_CONTEXT_SIZE: '512',
        PONDER_ENGINE_BATCH_SIZE: '128',
        PONDER_ENGINE_THREADS: ENGINE_THREADS,
      },
      ['--model', model],
    );
    started.push(a);
    const upstreams = [{ id: 'ponder-a', baseUrl: `${a.url}/v1`, apiKey: a.key, maxConcurrent: 64 }];
    const b = await startPonder('b', { PONDER_UPSTREAMS: JSON.stringify(upstreams) });
    started.push(b);
    const modelId = `${PRESET}-${quant}`;

    const rows: string[][] = [['streams', 'metric', 'A direct', 'B → A', 'ratio / added']];
    for (const n of [1, 16]) {
      const direct: Array<{ tokPerS: number; ttftMedian: number }> = [];
      const via: Array<{ tokPerS: number; ttftMedian: number }> = [];
      await load(a, modelId, n, 99); // warm-up
      for (let round = 0; round < ROUNDS; round++) {
        direct.push(await load(a, modelId, n, round));
        via.push(await load(b, modelId, n, round));
      }
      const dT = median(direct.map((r) => r.tokPerS));
      const vT = median(via.map((r) => r.tokPerS));
      const dF = median(direct.map((r) => r.ttftMedian));
      const vF = median(via.map((r) => r.ttftMedian));
      rows.push([
        String(n),
        'tokens/s (aggregate)',
        dT.toFixed(1),
        vT.toFixed(1),
        `${(vT / dT).toFixed(3)} ×`,
      ]);
      rows.push([String(n), 'TTFT median (ms)', dF.toFixed(1), vF.toFixed(1), `+${(vF - dF).toFixed(1)} ms`]);
    }

    process.stderr.write('bench:gateway: relay from a fast scripted upstream…\n');
    const up = await startFastUpstream();
    fast = up.server;
    const c = await startPonder('c', { PONDER_UPSTREAMS: JSON.stringify([{ id: 'fast', baseUrl: up.url }]) });
    started.push(c);
    await streamOnce(c, 'fast', 1_000_000, 0); // warm-up (JIT)
    const cpuBefore = cpuSeconds(c.child.pid!);
    const t0 = performance.now();
    const relayed = await streamOnce(c, 'fast', 1_000_000, 1);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(c.child.pid!) - cpuBefore;
    const relay: string[][] = [
      ['relay (one Ponder process)', 'value'],
      ['chunks relayed', String(relayed.chunks)],
      ['chunks/s', (relayed.chunks / seconds).toFixed(0)],
      ['CPU ms per 1,000 chunks', ((cpu * 1000 * 1000) / relayed.chunks).toFixed(1)],
      ['chunks/s per CPU-second', (relayed.chunks / Math.max(cpu, 0.01)).toFixed(0)],
    ];
    console.log(
      `\nbench:gateway — ${PRESET} model (engine: ${ENGINE_THREADS} thread), ${TOKENS} tokens per stream, median of ${ROUNDS} rounds\n`,
    );
    console.log(table(rows));
    console.log('');
    console.log(table(relay));
  } finally {
    for (const p of started.reverse()) await stopPonder(p);
    fast?.close();
  }
}

await main();
