import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, test } from 'node:test';
import pino from 'pino';
import { configSchema } from '../config/schema.ts';
import { ensureTestModel } from '../inference/gguf/test-model.ts';
import { createEmbeddedProvider, type EmbeddedProvider } from '../inference/llama/index.ts';
import { DEFAULT_EMBEDDING_MODEL_NAME } from '../inference/llama/pull.ts';
import { planEmbeddingModel, setUpEmbeddingModel } from './embedding-model.ts';

const dirs: string[] = [];
const providers: EmbeddedProvider[] = [];
after(async () => {
  for (const p of providers) await p[Symbol.asyncDispose]();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

async function setUp(embedding: Record<string, unknown>, opts: { autoPull: boolean; hfBaseUrl?: string }) {
  const dataDir = await mkdtemp(join(tmpdir(), 'ponder-embed-model-'));
  dirs.push(dataDir);
  const config = configSchema.parse({ dataDir, embedding });
  const plan = planEmbeddingModel(config);
  const provider = createEmbeddedProvider({
    models: {},
    embeddingModels: plan.hints,
    slots: 1,
    contextSize: 512,
    threads: 1,
  });
  providers.push(provider);
  const { lines, logger } = capture();
  const pulls = new AbortController();
  await setUpEmbeddingModel(config, plan, provider, {
    modelsDir: join(dataDir, 'models'),
    signal: pulls.signal,
    logger,
    ...opts,
  });
  return { plan, provider, lines };
}

test('a configured embedding GGUF is registered under its name and embeds', async () => {
  const path = await ensureTestModel('embed-tiny');
  const { plan, provider } = await setUp({ model: path, matryoshka: true }, { autoPull: false });
  assert.equal(plan.id, 'embed-tiny-q8_0');
  const listed = (await provider.models()).find((m) => m.id === plan.id);
  assert.equal(listed?.kind, 'embedding');
  assert.equal(listed?.embedding?.matryoshka, true);
  const r = await provider.embed(
    { model: plan.id!, input: ['x'], dimensions: 16 },
    { signal: AbortSignal.timeout(60_000) },
  );
  assert.equal(r.vectors[0]!.length, 16);
});

test('"off" turns embeddings off; the default is the multilingual default model, Matryoshka', () => {
  const off = planEmbeddingModel(configSchema.parse({ embedding: { model: 'off' } }));
  assert.equal(off.id, undefined);
  const def = planEmbeddingModel(configSchema.parse({}));
  assert.equal(def.id, DEFAULT_EMBEDDING_MODEL_NAME);
  assert.deepEqual(def.hints[DEFAULT_EMBEDDING_MODEL_NAME], { matryoshka: true });
});

test('offline, the default embedding model download fails clearly and nothing is registered', async () => {
  // A closed port on loopback stands in for "no internet": the pull path itself runs, nothing leaves.
  const { provider, lines } = await setUp({}, { autoPull: true, hfBaseUrl: 'http://127.0.0.1:9' });
  const deadline = Date.now() + 30_000;
  while (!lines.some((l) => l.includes('default embedding model download failed')) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  const failed = lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.msg?.toString().startsWith('default embedding model download failed'));
  assert.ok(failed, lines.join('\n'));
  assert.match(String(failed.msg), /keyword retrieval only/);
  assert.match(String(failed.reason), /127\.0\.0\.1|reach|connect|refused|offline/i);
  assert.deepEqual(await provider.models(), []);
});

test('without autoPull a missing default model is logged with the way to get it', async () => {
  const { lines } = await setUp({}, { autoPull: false });
  assert.ok(
    lines.some((l) => l.includes('ponder pull')),
    lines.join('\n'),
  );
});
