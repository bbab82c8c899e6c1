import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type GgufValue, gguf, writeGgufFile } from '../gguf/gguf-writer.ts';
import { embeddingTraits } from './embedding-traits.ts';

// Headers only (no tensors): what tells an embedding GGUF from a chat one without loading it.
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ponder-traits-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function header(file: string, arch: string, extra: Array<[string, GgufValue]> = []): Promise<string> {
  const path = join(dir, file);
  await writeGgufFile(path, {
    metadata: [
      ['general.architecture', gguf.str(arch)],
      [`${arch}.embedding_length`, gguf.u32(1024)],
      [`${arch}.context_length`, gguf.u32(8192)],
      ...extra,
    ],
    tensors: [],
  });
  return path;
}

test('pooling type, encoder-only architecture or an "embed" name make an embedding model', async () => {
  const pooled = await embeddingTraits(
    await header('a.gguf', 'qwen3', [['qwen3.pooling_type', gguf.u32(3)]]),
  );
  assert.deepEqual(pooled, { embedding: true, dimensions: 1024, contextLength: 8192 });
  assert.equal((await embeddingTraits(await header('b.gguf', 'bert'))).embedding, true);
  const named = await header('c.gguf', 'qwen3', [['general.name', gguf.str('Qwen3 Embedding 0.6B')]]);
  assert.equal((await embeddingTraits(named)).embedding, true);
  assert.equal((await embeddingTraits(await header('nomic-embed-text-v1.5.gguf', 'llama'))).embedding, true);
  const chat = await header('d.gguf', 'qwen2', [['general.name', gguf.str('DeepSeek R1 Distill Qwen 1.5B')]]);
  assert.equal((await embeddingTraits(chat)).embedding, false);
});

test('the configuration can say so; an unreadable file is not one unless it does', async () => {
  const chat = await header('e.gguf', 'qwen2');
  assert.equal((await embeddingTraits(chat, true)).embedding, true);
  assert.deepEqual(await embeddingTraits(join(dir, 'missing.gguf')), { embedding: false });
  assert.deepEqual(await embeddingTraits(join(dir, 'missing.gguf'), true), { embedding: true });
});
