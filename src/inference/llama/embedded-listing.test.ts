import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ensureTestModel } from '../gguf/test-model.ts';
import { createEmbeddedProvider, type EmbeddedProvider } from './index.ts';

// `/api/models` lists the embedded models through `models()`: it must not start the engine (seconds) nor
// fail while the engine starts and loads a model, as it does when `ponder serve` starts.
let p: EmbeddedProvider;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ponder-listing-'));
  p = createEmbeddedProvider({
    models: { tiny: await ensureTestModel('tiny'), missing: join(dir, 'nope.gguf') },
    slots: 1,
    contextSize: 512,
    batchSize: 64,
    threads: 1,
  });
});
after(async () => {
  await p?.[Symbol.asyncDispose]();
  await rm(dir, { recursive: true, force: true });
});

test('a listing before the engine runs answers from the files, without starting it', async () => {
  const models = await p.models();
  assert.equal(p.enginePid, undefined);
  const tiny = models.find((m) => m.id === 'tiny');
  assert.equal(tiny?.state, 'ready');
  assert.match(tiny?.detail ?? '', /not loaded yet/);
  const missing = models.find((m) => m.id === 'missing');
  assert.equal(missing?.state, 'unavailable');
  assert.match(missing?.detail ?? '', /not found at .*nope\.gguf/);
});

test('while the engine starts and loads, a listing says loading instead of failing', async () => {
  const loading = p.load('tiny');
  const during = await p.models();
  assert.equal(during.find((m) => m.id === 'tiny')?.state, 'loading');
  // A second caller during the start waits for it rather than talking to an engine not initialised yet.
  const [, stats] = await Promise.all([loading, p.stats()]);
  assert.equal(stats.slotsTotal, 1);
  const afterLoad = await p.models();
  assert.equal(afterLoad.find((m) => m.id === 'tiny')?.state, 'ready');
  assert.equal(afterLoad.find((m) => m.id === 'tiny')?.detail, undefined);
});

test('a failed load is listed as unavailable with its reason', async () => {
  await assert.rejects(p.load('missing'));
  const models = await p.models();
  assert.equal(models.find((m) => m.id === 'missing')?.state, 'unavailable');
});
