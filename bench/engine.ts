/**
 * `npm run bench:engine`: the embedded engine through Ponder's Provider (engine child process with
 * UV_THREADPOOL_SIZE=1, lockstep batching, slot reuse) against raw node-llama-cpp used the plain way
 * (in this process, default libuv pool and batching), in the same run, on the generated `r1-1.5b` model
 * at Q4_0 with 2 threads. Prints a table; ratios are from this run only.
 *
 * Knobs (environment): PONDER_BENCH_TOKENS (decode tokens per stream, default 64),
 * PONDER_BENCH_THREADS (default 2), PONDER_BENCH_PRESET (default r1-1.5b).
 */
import { execSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { DeepSeekChatWrapper, getLlama, LlamaChatSession } from 'node-llama-cpp';
import { ensureTestModel } from '../src/inference/gguf/test-model.ts';
import { createEmbeddedProvider, type EmbeddedProvider } from '../src/inference/llama/index.ts';
import type { ChatMessage } from '../src/inference/types.ts';
import { benchToolCalls } from './tool-calls.ts';

const TOKENS = Number(process.env.PONDER_BENCH_TOKENS ?? 64);
const THREADS = Number(process.env.PONDER_BENCH_THREADS ?? 2);
const PRESET = (process.env.PONDER_BENCH_PRESET ?? 'r1-1.5b') as 'tiny' | 'r1-1.5b';
const CONCURRENCY = [1, 2, 4, 8];
/** Each concurrency level runs this many times; the table shows the median. */
const ROUNDS = Number(process.env.PONDER_BENCH_ROUNDS ?? 3);
const SLOT_CONTEXT = 2048;
const MODEL_ID = 'bench';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** Distinct short prompts so no two streams share a cached prefix. */
const prompt = (i: number): string => `Question ${i}: why is the sky blue at noon but red at sunset? Think.`;

/** Roughly `tokens` tokens of varied text (the Qwen tokenizer gives about one token per short word). */
function longText(tokens: number, seed: number): string {
  const words = [
    'river',
    'orbit',
    'prism',
    'lantern',
    'copper',
    'meadow',
    'signal',
    'harbor',
    'quartz',
    'ember',
  ];
  const out: string[] = [];
  for (let i = 0; i < tokens; i++) out.push(words[(i * 7 + seed * 3 + (i >> 3)) % words.length] as string);
  return out.join(' ');
}

interface StreamTiming {
  tokens: number;
  firstAt: number;
  lastAt: number;
}

/**
 * Aggregate decode tokens/s: every token after each stream's first, over the window from the first
 * stream's first token to the last stream's last token. (A sum of per-stream rates would overstate it
 * whenever streams do not fully overlap.)
 */
function aggregateRate(streams: StreamTiming[]): number {
  const tokens = streams.reduce((sum, s) => sum + s.tokens - 1, 0);
  const start = Math.min(...streams.map((s) => s.firstAt));
  const end = Math.max(...streams.map((s) => s.lastAt));
  return tokens / ((end - start) / 1000);
}

async function providerStream(provider: EmbeddedProvider, messages: ChatMessage[], key: string) {
  const start = performance.now();
  let firstAt = 0;
  let lastAt = 0;
  let tokens = 0;
  let cached = 0;
  let promptTokens = 0;
  for await (const chunk of provider.chat(
    { model: MODEL_ID, messages, maxTokens: TOKENS, seed: 1 },
    { signal: AbortSignal.timeout(600_000), affinityKey: key },
  )) {
    if (chunk.type === 'reasoning' || chunk.type === 'text') {
      lastAt = performance.now();
      if (!firstAt) firstAt = lastAt;
    } else if (chunk.type === 'usage') {
      tokens = chunk.completionTokens;
      cached = chunk.cachedPromptTokens;
      promptTokens = chunk.promptTokens;
    } else if (chunk.type === 'done' && chunk.finishReason === 'error') {
      throw new Error(`generation failed: ${chunk.error}`);
    }
  }
  return { tokens, firstAt, lastAt, ttftMs: firstAt - start, cached, promptTokens };
}

async function benchProvider(model: string) {
  const make = (slots: number) =>
    createEmbeddedProvider({
      models: { [MODEL_ID]: model },
      slots,
      threads: THREADS,
      contextSize: SLOT_CONTEXT,
      batchSize: 512,
      ignoreEos: true,
    });
  const provider = make(8);
  await provider.load(MODEL_ID);
  const decode = new Map<number, number>();
  const batches = new Map<number, { full: number; total: number }>();
  try {
    // Warm-up of every slot at once: the first decodes pay for page faults of the weights and of each
    // slot's KV cache, which would otherwise land on whichever measurement touches them first.
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        providerStream(provider, [{ role: 'user', content: `warm up ${i}` }], `w${i}`),
      ),
    );
    const pre = await providerStream(provider, [{ role: 'user', content: longText(1000, 1) }], 'prefill');
    const prefill = pre.promptTokens / (pre.ttftMs / 1000);
    for (const n of CONCURRENCY) {
      const rates: number[] = [];
      const before = await provider.stats();
      for (let round = 0; round < ROUNDS; round++) {
        const runs = await Promise.all(
          Array.from({ length: n }, (_, i) =>
            providerStream(
              provider,
              [{ role: 'user', content: prompt(i + n * 10 + round * 100) }],
              `d${n}-${round}-${i}`,
            ),
          ),
        );
        rates.push(aggregateRate(runs));
      }
      decode.set(n, median(rates));
      const after = await provider.stats();
      const full = (after.batchSequenceHistogram[n] ?? 0) - (before.batchSequenceHistogram[n] ?? 0);
      batches.set(n, { full, total: after.decodeBatches - before.decodeBatches });
    }
    // Follow-up turn in a ~1,500-token conversation, same slot (affinity) vs a cold engine.
    const history: ChatMessage[] = [{ role: 'user', content: longText(1500, 2) }];
    const first = await providerStream(provider, history, 'conv');
    void first;
    const followUp: ChatMessage[] = [
      ...history,
      { role: 'assistant', content: 'noted' },
      { role: 'user', content: 'And what follows from that?' },
    ];
    const reused = await providerStream(provider, followUp, 'conv');
    const tools = await benchToolCalls(provider, MODEL_ID, ROUNDS);
    await provider[Symbol.asyncDispose]();

    const cold = make(1);
    await cold.load(MODEL_ID);
    await providerStream(cold, [{ role: 'user', content: 'warm up' }], 'warm');
    const notReused = await providerStream(cold, followUp, 'other');
    await cold[Symbol.asyncDispose]();
    return { prefill, decode, batches, reused, notReused, tools };
  } catch (err) {
    await provider[Symbol.asyncDispose]();
    throw err;
  }
}

async function benchPlain(model: string) {
  // "The plain way": one process, default libuv pool, default batching; threads set to the core count
  // (node-llama-cpp's own default, max(4, cores), ran 25x slower on this 2-core machine: design §4).
  const llama = await getLlama({ build: 'never', gpu: false, maxThreads: THREADS });
  const loaded = await llama.loadModel({ modelPath: model });
  const context = await loaded.createContext({ contextSize: SLOT_CONTEXT, sequences: 8, batchSize: 512 });
  const sessions = Array.from(
    { length: 8 },
    () =>
      new LlamaChatSession({
        contextSequence: context.getSequence(),
        chatWrapper: new DeepSeekChatWrapper(),
        systemPrompt: '',
        autoDisposeSequence: false,
      }),
  );
  const run = async (session: LlamaChatSession, text: string): Promise<StreamTiming & { ttftMs: number }> => {
    session.resetChatHistory();
    await session.sequence.clearHistory();
    const start = performance.now();
    let tokens = 0;
    let firstAt = 0;
    let lastAt = 0;
    await session.prompt(text, {
      maxTokens: TOKENS,
      temperature: 0.6,
      topP: 0.95,
      seed: 1,
      onToken: (t) => {
        tokens += t.length;
        lastAt = performance.now();
        if (!firstAt) firstAt = lastAt;
      },
    });
    return { tokens, firstAt, lastAt, ttftMs: firstAt - start };
  };
  try {
    await Promise.all(sessions.map((session, i) => run(session, `warm up ${i}`)));
    const longPrompt = longText(1000, 1);
    const promptTokens = loaded.tokenize(longPrompt).length;
    const pre = await run(sessions[0]!, longPrompt);
    const prefill = promptTokens / (pre.ttftMs / 1000);
    const decode = new Map<number, number>();
    for (const n of CONCURRENCY) {
      const rates: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const runs = await Promise.all(
          sessions.slice(0, n).map((s, i) => run(s, prompt(i + n * 10 + round * 100))),
        );
        rates.push(aggregateRate(runs));
      }
      decode.set(n, median(rates));
    }
    return { prefill, decode };
  } finally {
    await context.dispose();
    await loaded.dispose();
    await llama.dispose();
  }
}

const fmt = (n: number, digits = 1): string => n.toFixed(digits);

async function main(): Promise<void> {
  process.stderr.write(`bench:engine: preparing ${PRESET} q4_0 model…\n`);
  const model = await ensureTestModel(PRESET, 'q4_0');
  execSync('sync');
  if (process.env.PONDER_BENCH_ONLY === 'tools') return toolRowsOnly(model);
  process.stderr.write(`bench:engine: Provider (engine process), ${TOKENS} tokens per stream…\n`);
  const ours = await benchProvider(model);
  process.stderr.write('bench:engine: plain node-llama-cpp (in process)…\n');
  const plain = await benchPlain(model);

  const rows: string[][] = [['metric', 'Ponder Provider', 'plain node-llama-cpp', 'ratio']];
  rows.push([
    'prefill tok/s (1,000-token prompt)',
    fmt(ours.prefill),
    fmt(plain.prefill),
    fmt(ours.prefill / plain.prefill, 2),
  ]);
  for (const n of CONCURRENCY) {
    const a = ours.decode.get(n) ?? 0;
    const b = plain.decode.get(n) ?? 0;
    const shape = ours.batches.get(n);
    const full = shape ? ` [${shape.full}/${shape.total} batches full]` : '';
    rows.push([
      `decode tok/s, ${n} stream${n > 1 ? 's' : ''} (aggregate)`,
      `${fmt(a)}${full}`,
      fmt(b),
      fmt(a / b, 2),
    ]);
  }
  const single = ours.decode.get(1) ?? 1;
  rows.push([
    '4-stream aggregate / single',
    fmt((ours.decode.get(4) ?? 0) / single, 2),
    fmt((plain.decode.get(4) ?? 0) / (plain.decode.get(1) ?? 1), 2),
    '',
  ]);
  rows.push([
    'follow-up TTFT, 1,500-token conversation: reuse / cold (ms)',
    `${fmt(ours.reused.ttftMs, 0)} / ${fmt(ours.notReused.ttftMs, 0)}`,
    '',
    fmt(ours.reused.ttftMs / ours.notReused.ttftMs, 3),
  ]);
  rows.push([
    '  cached prompt tokens: reuse / cold',
    `${ours.reused.cached} / ${ours.notReused.cached}`,
    '',
    '',
  ]);
  const t = ours.tools;
  rows.push([
    `forced tool call, 5-field schema (~${t.callTokens} tokens): ms/token call / free text`,
    `${fmt(t.callMsPerToken, 1)} / ${fmt(t.freeMsPerToken, 1)}`,
    '',
    fmt(t.callMsPerToken / t.freeMsPerToken, 2),
  ]);
  rows.push([
    'after a tool result: cached / prompt tokens',
    `${t.resultCached} / ${t.resultPrompt}`,
    '',
    fmt(t.resultCached / t.resultPrompt, 3),
  ]);

  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
  console.log(
    `\nbench:engine — ${PRESET} Q4_0, ${THREADS} threads, ${TOKENS} decode tokens per stream, median of ${ROUNDS} rounds\n`,
  );
  console.log(line(rows[0]!));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows.slice(1)) console.log(line(r));
}

/** `PONDER_BENCH_ONLY=tools`: the tool-call rows alone (one engine, one slot, same run). */
async function toolRowsOnly(model: string): Promise<void> {
  const provider = createEmbeddedProvider({
    models: { [MODEL_ID]: model },
    slots: 1,
    threads: THREADS,
    contextSize: SLOT_CONTEXT,
    batchSize: 512,
    ignoreEos: true,
  });
  try {
    await provider.load(MODEL_ID);
    await providerStream(provider, [{ role: 'user', content: 'warm up' }], 'warm');
    const t = await benchToolCalls(provider, MODEL_ID, ROUNDS);
    console.log(`\nbench:engine (tools only) — ${PRESET} Q4_0, ${THREADS} threads, ${ROUNDS} rounds\n`);
    console.log(
      `forced tool call, 5-field schema (~${t.callTokens} tokens): ms/token call ${fmt(t.callMsPerToken, 1)} / free text ${fmt(t.freeMsPerToken, 1)} = ${fmt(t.callMsPerToken / t.freeMsPerToken, 2)}`,
    );
    console.log(
      `after a tool result: cached ${t.resultCached} of ${t.resultPrompt} prompt tokens = ${fmt(t.resultCached / t.resultPrompt, 3)}`,
    );
  } finally {
    await provider[Symbol.asyncDispose]();
  }
}

await main();
