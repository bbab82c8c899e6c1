/**
 * `npm run bench:documents`: what documents cost (issue 13). A real Ponder in this process (SQLite,
 * encrypted document store, the parser child process, the embedded engine with the generated `tiny` chat
 * model and `embed-tiny` embedding model), everything on 127.0.0.1.
 *  1. Ingest: generated PDFs uploaded over HTTP (`POST /api/files`): parse + chunk + embed + encrypt +
 *     store, in pages per second.
 *  2. Query latency for a user with 10,000 chunks (the chosen at-rest design: everything encrypted,
 *     decrypted per query into the bounded per-reader cache): `DocumentService.retrieve` (query embedding,
 *     BM25 + exact cosine, fused), warm (cache as it stands) and cold (cache dropped before each query).
 *     The 10,000 chunks are written straight to the store (encrypted like uploads) with random unit vectors
 *     under the embedding model's id: uploading 10,000 chunks would take this bench minutes and measure
 *     part 1 again.
 *  3. Time to the first reasoning token of a web chat turn over that collection vs the same turn without
 *     documents (interleaved): what retrieval adds, passages' prefill included.
 * Knobs: PONDER_BENCH_PDFS (default 5), PONDER_BENCH_PAGES (per PDF, default 20), PONDER_BENCH_QUERIES
 * (warm, default 200), PONDER_BENCH_COLD (default 20), PONDER_BENCH_TURNS (per arm, default 20),
 * PONDER_BENCH_CHUNKS (default 10000), PONDER_BENCH_THREADS (llama.cpp threads, default 1).
 */
import { performance } from 'node:perf_hooks';
import { DocumentService } from '../src/core/documents/document-service.ts';
import { makePdf } from '../src/inference/documents/testing.ts';
import { ensureTestModel } from '../src/inference/gguf/test-model.ts';
import { createEmbeddedProvider } from '../src/inference/llama/index.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';
import { readToFirstReasoning } from './first-reasoning.ts';

const PDFS = Number(process.env.PONDER_BENCH_PDFS ?? 5);
const PAGES = Number(process.env.PONDER_BENCH_PAGES ?? 20);
const QUERIES = Number(process.env.PONDER_BENCH_QUERIES ?? 200);
const COLD = Number(process.env.PONDER_BENCH_COLD ?? 20);
const TURNS = Number(process.env.PONDER_BENCH_TURNS ?? 20);
const CHUNKS = Number(process.env.PONDER_BENCH_CHUNKS ?? 10_000);
const CHUNKS_PER_FILE = 500;
/** The per-reader cache of part 2b (the service's default is 64 MiB). */
const BIG_CACHE_MIB = 512;

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
const fmt = (n: number, digits = 0): string => n.toFixed(digits);
const say = (msg: string) => process.stderr.write(`bench:documents: ${msg}\n`);

/** A deterministic word stream (no content matters, only sizes and variety). */
const VOCAB =
  'alpha beta gamma delta river mountain ledger invoice quarterly revenue margin forecast protocol kernel cache latency throughput encryption cipher envelope passage citation harbour lantern meadow orchard granite copper velvet thunder whisper'.split(
    ' ',
  );
let seed = 42;
const word = (): string => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return `${VOCAB[seed % VOCAB.length]}${(seed >> 8) % 97}`;
};
const words = (n: number): string => Array.from({ length: n }, word).join(' ');

async function signupWithKey(server: TestServer): Promise<{ cookie: string; userId: string }> {
  const { cookie, user } = await server.signup('bench-documents@example.com');
  return { cookie, userId: user.id };
}

async function ingest(server: TestServer, cookie: string, collectionId: string): Promise<number[]> {
  const perPdf: number[] = [];
  for (let i = 0; i < PDFS; i++) {
    // ~40 lines of ~11 words: a dense page of prose.
    const pages = Array.from({ length: PAGES }, () => Array.from({ length: 40 }, () => words(11)).join('\n'));
    const pdf = await makePdf(pages);
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(pdf)], { type: 'application/pdf' }), `report-${i}.pdf`);
    const t = performance.now();
    const res = await server.request(`/api/files?collectionId=${collectionId}`, {
      method: 'POST',
      cookie,
      body: form,
    });
    if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${await res.text()}`);
    const file = (await res.json()) as { embeddingModel?: string | null; chunks?: number };
    perPdf.push(performance.now() - t);
    if (i === 0) say(`first upload: ${JSON.stringify(file).slice(0, 200)}`);
  }
  return perPdf;
}

function randomUnit(n: number): Float32Array {
  const v = new Float32Array(n);
  let s = 0;
  for (let i = 0; i < n; i++) {
    v[i] = Math.random() - 0.5;
    s += v[i]! * v[i]!;
  }
  const norm = Math.sqrt(s);
  for (let i = 0; i < n; i++) v[i] = v[i]! / norm;
  return v;
}

async function seedChunks(server: TestServer, userId: string, collectionId: string): Promise<void> {
  for (let f = 0; f * CHUNKS_PER_FILE < CHUNKS; f++) {
    const count = Math.min(CHUNKS_PER_FILE, CHUNKS - f * CHUNKS_PER_FILE);
    const chunks = Array.from({ length: count }, (_, i) => ({
      text: words(220),
      heading: `Section ${i + 1}`,
      page: Math.floor(i / 3) + 1,
      tokens: 380,
      vector: randomUnit(128),
    }));
    const text = chunks.map((c) => c.text).join('\n\n');
    await server.store.documents.createFile({
      userId,
      name: `corpus-${f}.txt`,
      kind: 'text',
      mediaType: 'text/plain',
      content: new TextEncoder().encode(text),
      text,
      tokens: count * 380,
      chunks,
      embeddingModel: 'embed-tiny',
      collectionId,
    });
  }
}

/**
 * Send → first reasoning event of a web turn (the answer is stopped there), and the retrieval step's own
 * duration as the timeline records it (its `tool_result`'s `ms`).
 */
async function turn(
  server: TestServer,
  cookie: string,
  collectionId: string | null,
): Promise<{ first: number; stepMs: number }> {
  const conv = await server.request('/api/conversations', { method: 'POST', cookie, json: {} });
  const { id } = (await conv.json()) as { id: string };
  const start = performance.now();
  const res = await server.request(`/api/conversations/${id}/messages`, {
    method: 'POST',
    cookie,
    json: {
      content: `What does the report say about ${words(3)}?`,
      thinking: { enabled: true, budgetTokens: 16 },
      ...(collectionId ? { documents: { collectionIds: [collectionId] } } : {}),
    },
  });
  const { first, events } = await readToFirstReasoning(res, start, (generation) =>
    server.request(`/api/generations/${generation}/stop`, { method: 'POST', cookie, json: {} }),
  );
  if (Number.isNaN(first)) throw new Error(`no reasoning token: ${events.slice(-600)}`);
  if (collectionId && !events.includes('search_documents')) throw new Error('no retrieval step in the turn');
  const step = /event: tool_result\ndata: [^\n]*"ms":(\d+)/.exec(events)?.[1];
  return { first, stepMs: step === undefined ? Number.NaN : Number(step) };
}

async function main(): Promise<void> {
  say('starting Ponder (SQLite, tiny + embed-tiny on the embedded engine)');
  // As `ponder serve` would run them (4 slots of 4096 tokens: room for the passages), not the test harness's.
  const engine = createEmbeddedProvider({
    models: { tiny: await ensureTestModel('tiny'), 'embed-tiny': await ensureTestModel('embed-tiny') },
    slots: 4,
    contextSize: 4096,
    // One thread: on a shared box, llama.cpp's spinning worker threads make every number noise.
    threads: Number(process.env.PONDER_BENCH_THREADS ?? 1),
  });
  const server = await startTestServer({
    config: { defaultPlan: 'pro', logLevel: 'warn' },
    deps: {
      providers: [engine],
      engine,
      defaultModel: 'tiny',
      defaultEmbeddingModel: 'embed-tiny',
      modelStatus: () => ({ state: 'ready' as const, model: 'tiny' }),
    },
  });
  try {
    const { cookie, userId } = await signupWithKey(server);
    const mk = async (name: string) => {
      const res = await server.request('/api/collections', { method: 'POST', cookie, json: { name } });
      if (res.status !== 201) throw new Error(`collection: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { id: string }).id;
    };
    const uploads = await mk('uploads');
    const corpus = await mk('corpus');

    // 1. Ingest. The first upload also loads the embedding model: warm up with one page first.
    say('warming up (model loads)');
    {
      const pdf = await makePdf([words(50)]);
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(pdf)], { type: 'application/pdf' }), 'warm.pdf');
      await server.request(`/api/files?collectionId=${uploads}`, { method: 'POST', cookie, body: form });
    }
    say(`ingesting ${PDFS} PDFs × ${PAGES} pages`);
    const perPdf = await ingest(server, cookie, uploads);
    const ingestMs = perPdf.reduce((a, b) => a + b, 0);
    const pagesPerSecond = (PDFS * PAGES) / (ingestMs / 1000);

    // 2. Query latency over 10,000 chunks.
    say(`writing ${CHUNKS} encrypted chunks`);
    const seeded = performance.now();
    await seedChunks(server, userId, corpus);
    say(`seeded in ${fmt((performance.now() - seeded) / 1000, 1)} s`);
    const documents = server.app.ponder.services.documents;
    const scopes = [{ kind: 'collection' as const, collectionId: corpus }];
    const query = () => documents.retrieve(userId, { scopes, query: `${words(4)} revenue forecast` });
    const check = await query();
    if (check.length === 0) throw new Error('retrieval found nothing');
    const cold: number[] = [];
    for (let i = 0; i < COLD; i++) {
      documents.forgetUser(userId);
      const t = performance.now();
      await query();
      cold.push(performance.now() - t);
    }
    await query();
    const warm: number[] = [];
    for (let i = 0; i < QUERIES; i++) {
      const t = performance.now();
      await query();
      warm.push(performance.now() - t);
    }

    // 2b. The same queries with a reader cache big enough for the whole scope: the design's warm cost.
    const big = new DocumentService({
      store: server.store,
      plans: server.app.ponder.plans,
      parse: () => Promise.reject(new Error('not used')),
      embed: async (texts, signal) => {
        const r = await server.app.ponder.services.gateway.embed({ input: texts }, { signal });
        return { model: r.model, vectors: r.vectors };
      },
      cache: { maxBytesPerUser: BIG_CACHE_MIB * 1024 * 1024 },
    });
    await big.retrieve(userId, { scopes, query: 'warm up' });
    const roomy: number[] = [];
    for (let i = 0; i < QUERIES; i++) {
      const t = performance.now();
      await big.retrieve(userId, { scopes, query: `${words(4)} revenue forecast` });
      roomy.push(performance.now() - t);
    }

    // 3. Time to first token with and without retrieval over the 10,000 chunks, interleaved.
    say(`${TURNS} turns per arm`);
    await turn(server, cookie, null);
    await turn(server, cookie, corpus);
    const plain: number[] = [];
    const withDocs: number[] = [];
    const steps: number[] = [];
    for (let i = 0; i < TURNS; i++) {
      plain.push((await turn(server, cookie, null)).first);
      const t = await turn(server, cookie, corpus);
      withDocs.push(t.first);
      steps.push(t.stepMs);
    }

    const rows: string[][] = [
      ['metric', 'measured', 'target'],
      [
        `ingest over HTTP (parse + chunk + embed + encrypt + store), ${PDFS} PDFs × ${PAGES} pages`,
        `${fmt(pagesPerSecond, 1)} pages/s (${fmt(pct(perPdf, 50))} ms per ${PAGES}-page PDF, median)`,
        '',
      ],
      [
        `retrieve over ${CHUNKS} chunks, warm, the service as configured (${QUERIES} queries): p50 / p99`,
        `${fmt(pct(warm, 50))} / ${fmt(pct(warm, 99))} ms`,
        '',
      ],
      [
        `retrieve over ${CHUNKS} chunks, warm, reader cache of ${BIG_CACHE_MIB} MiB (${QUERIES} queries): p50 / p99`,
        `${fmt(pct(roomy, 50))} / ${fmt(pct(roomy, 99))} ms`,
        '',
      ],
      [
        `retrieve over ${CHUNKS} chunks, cold cache (${COLD} queries, all decrypted): p50 / p99`,
        `${fmt(pct(cold, 50))} / ${fmt(pct(cold, 99))} ms`,
        '',
      ],
      [
        `send → first reasoning token, no documents (${plain.length} turns): p50 / p99`,
        `${fmt(pct(plain, 50))} / ${fmt(pct(plain, 99))} ms`,
        '',
      ],
      [
        `send → first reasoning token, ${CHUNKS}-chunk collection (${withDocs.length} turns): p50 / p99`,
        `${fmt(pct(withDocs, 50))} / ${fmt(pct(withDocs, 99))} ms`,
        '',
      ],
      [
        `the retrieval step itself (its timeline duration, ${steps.length} turns): p50 / p99`,
        `${fmt(pct(steps, 50))} / ${fmt(pct(steps, 99))} ms`,
        '',
      ],
      [
        "added to the first token (retrieval + the passages' prefill): p50 / p99",
        `+${fmt(pct(withDocs, 50) - pct(plain, 50))} / +${fmt(pct(withDocs, 99) - pct(plain, 99))} ms`,
        '≤ +150 ms p99',
      ],
    ];
    const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
    const line = (r: string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join(' | ')} |`;
    console.log('\nbench:documents — generated tiny + embed-tiny models, SQLite, everything on loopback\n');
    console.log(line(rows[0] ?? []));
    console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
    for (const r of rows.slice(1)) console.log(line(r));
  } finally {
    await server.close();
    await engine[Symbol.asyncDispose]();
  }
}

await main();
// The test harness does not run the app's shutdown hooks (the document parser's child process).
process.exit(0);
