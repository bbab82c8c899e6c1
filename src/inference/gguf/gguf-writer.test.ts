import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  getLlama,
  type Llama,
  LlamaCompletion,
  LlamaLogLevel,
  readGgufFileInfo,
  resolveChatWrapper,
} from 'node-llama-cpp';
import { GgufReadError, readGgufHeader } from './gguf-reader.ts';
import { encodeGgufHeader, gguf, writeGgufFile } from './gguf-writer.ts';
import { Prng } from './prng.ts';
import { decodeTensorData, encodeTensorData, fromHalf, toHalf } from './quantize.ts';
import { qwen2GgufOptions } from './qwen2-model.ts';
import { R1_TOKEN_IDS } from './r1-vocab.ts';
import { SynthModelError, synthesizeModel } from './synth-model.ts';
import { ensureTestModel } from './test-model.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ponder-gguf-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('quantisation', () => {
  test('half precision round-trips representable values and rounds to nearest', () => {
    for (const v of [0, 1, -2, 0.5, 65504, 2 ** -24, -(2 ** -14)]) assert.equal(fromHalf(toHalf(v)), v);
    assert.equal(toHalf(1), 0x3c00);
    assert.equal(toHalf(1e6), 0x7c00);
    assert.ok(Math.abs(fromHalf(toHalf(0.1)) - 0.1) < 1e-4);
  });

  for (const [type, tolerance] of [
    ['q8_0', 1 / 127],
    ['q4_0', 1 / 7],
  ] as const) {
    test(`${type} blocks decode close to their input`, () => {
      const src = new Prng(7).fillNormal(new Float32Array(64 * 4), 1);
      const bytes = encodeTensorData(src, 64, type);
      assert.equal(bytes.length, (src.length / 32) * (type === 'q8_0' ? 34 : 18));
      const back = decodeTensorData(bytes, type);
      for (let b = 0; b < src.length / 32; b++) {
        const block = src.subarray(b * 32, b * 32 + 32);
        const amax = Math.max(...block.map(Math.abs));
        for (let j = 0; j < 32; j++) {
          assert.ok(Math.abs((back[b * 32 + j] as number) - (block[j] as number)) <= amax * tolerance + 1e-3);
        }
      }
    });
  }

  test('the PRNG is deterministic per seed', () => {
    const a = new Prng(42).fillNormal(new Float32Array(8), 1);
    const b = new Prng(42).fillNormal(new Float32Array(8), 1);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, new Prng(43).fillNormal(new Float32Array(8), 1));
  });
});

describe('GGUF writer and reader', () => {
  test('writes typed metadata, tensor infos and aligned data that both readers understand', async () => {
    const path = join(dir, 'small.gguf');
    const weights = new Prng(1).fillNormal(new Float32Array(64 * 3), 0.5);
    const bias = Float32Array.from([1, 2, 3]);
    const size = await writeGgufFile(path, {
      metadata: [
        ['general.architecture', gguf.str('llama')],
        ['test.u32', gguf.u32(7)],
        ['test.i32', gguf.i32(-5)],
        ['test.f32', gguf.f32(0.25)],
        ['test.bool', gguf.bool(true)],
        ['test.u64', { type: 'uint64', value: 2n ** 40n }],
        ['test.strings', gguf.strings(['a', 'ü', '<｜User｜>', ''])],
        ['test.ints', gguf.i32s([1, -2, 3])],
        ['test.floats', gguf.f32s([0.5, 1.5])],
      ],
      tensors: [
        { name: 'bias', dims: [3], type: 'f32', data: () => [encodeTensorData(bias, 3, 'f32')] },
        { name: 'w', dims: [64, 3], type: 'q8_0', data: () => [encodeTensorData(weights, 64, 'q8_0')] },
      ],
    });
    const bytes = await readFile(path);
    assert.equal(bytes.length, size);
    assert.equal(bytes.toString('latin1', 0, 4), 'GGUF');
    assert.equal(bytes.readUInt32LE(4), 3);

    const header = await readGgufHeader(path);
    assert.equal(header.version, 3);
    assert.equal(header.metadata.get('test.u32'), 7);
    assert.equal(header.metadata.get('test.i32'), -5);
    assert.equal(header.metadata.get('test.f32'), 0.25);
    assert.equal(header.metadata.get('test.bool'), true);
    assert.equal(header.metadata.get('test.u64'), 2n ** 40n);
    assert.deepEqual(header.metadata.get('test.strings'), ['a', 'ü', '<｜User｜>', '']);
    assert.deepEqual(header.metadata.get('test.ints'), [1, -2, 3]);
    assert.deepEqual(header.metadata.get('test.floats'), [0.5, 1.5]);
    assert.equal(header.metadata.get('general.alignment'), 32);
    assert.equal(header.dataOffset % 32, 0);
    assert.deepEqual(
      header.tensors.map((t) => [t.name, t.dims, t.typeName, t.offset]),
      [
        ['bias', [3], 'f32', 0],
        ['w', [64, 3], 'q8_0', 32],
      ],
    );
    const lean = await readGgufHeader(path, { readArrays: false });
    assert.equal(lean.metadata.has('test.strings'), false);
    assert.equal(lean.metadata.get('test.u64'), 2n ** 40n);
    assert.equal(lean.dataOffset, header.dataOffset);
    assert.deepEqual(lean.tensors, header.tensors);
    const w = header.tensors[1];
    assert.ok(w);
    const stored = bytes.subarray(header.dataOffset + w.offset, header.dataOffset + w.offset + 6 * 34);
    assert.deepEqual(
      decodeTensorData(stored, 'q8_0'),
      decodeTensorData(encodeTensorData(weights, 64, 'q8_0'), 'q8_0'),
    );

    const info = await readGgufFileInfo(path, { logWarnings: false });
    assert.equal(info.version, 3);
    assert.equal(info.tensorInfo?.length, 2);
    assert.equal(info.infoEndOffset, header.dataOffset);
  });

  test('rejects a producer that yields the wrong number of bytes', async () => {
    await assert.rejects(
      writeGgufFile(join(dir, 'bad.gguf'), {
        metadata: [],
        tensors: [{ name: 'x', dims: [4], type: 'f32', data: () => [new Uint8Array(12)] }],
      }),
      /yielded 12 of 16 bytes/,
    );
  });

  test('reader errors are typed: missing, not GGUF, truncated', async () => {
    const code = async (path: string) => {
      try {
        await readGgufHeader(path);
        return 'ok';
      } catch (err) {
        assert.ok(err instanceof GgufReadError);
        return err.code;
      }
    };
    assert.equal(await code(join(dir, 'nope.gguf')), 'not_found');
    assert.equal(await code(dir), 'not_a_file');
    await writeFile(join(dir, 'text.gguf'), 'hello, this is not a model');
    assert.equal(await code(join(dir, 'text.gguf')), 'not_gguf');
    const model = await ensureTestModel();
    const copy = join(dir, 'cut.gguf');
    await writeFile(copy, await readFile(model));
    await truncate(copy, 1000);
    assert.equal(await code(copy), 'truncated');
    await writeFile(copy, await readFile(model));
    await truncate(copy, 20_000_000);
    assert.equal(await code(copy), 'truncated');
  });
});

describe('synthetic R1-Distill-Qwen models in llama.cpp', () => {
  let llama: Llama;
  before(async () => {
    llama = await getLlama({ build: 'never', gpu: false, maxThreads: 2, logLevel: LlamaLogLevel.error });
  });
  after(async () => {
    await llama?.dispose();
  });

  test('ensureTestModel writes the tiny model once and returns the same path', async () => {
    const [a, b] = await Promise.all([ensureTestModel(), ensureTestModel('tiny', 'q8_0')]);
    assert.equal(a, b);
    assert.match(a, /\.cache\/models\/tiny-q8_0\.gguf$/);
    const header = await readGgufHeader(a);
    assert.equal(header.metadata.get('general.architecture'), 'qwen2');
    assert.equal(header.metadata.get('tokenizer.ggml.pre'), 'deepseek-r1-qwen');
    assert.equal((header.metadata.get('tokenizer.ggml.tokens') as string[]).length, 151936);
    assert.equal(header.tensors.length, 3 + 2 * 12);
  });

  test('llama.cpp loads it: special tokens, BOS/EOS, chat template, generation', async () => {
    const modelPath = await ensureTestModel();
    const model = await llama.loadModel({ modelPath });
    try {
      assert.deepEqual(model.tokenize('<｜User｜>', true), [R1_TOKEN_IDS.user]);
      assert.deepEqual(model.tokenize('<｜Assistant｜>', true), [R1_TOKEN_IDS.assistant]);
      assert.deepEqual(model.tokenize('<think>', true), [R1_TOKEN_IDS.thinkStart]);
      assert.deepEqual(model.tokenize('</think>', true), [R1_TOKEN_IDS.thinkEnd]);
      assert.equal(model.tokens.bos, R1_TOKEN_IDS.bos);
      assert.equal(model.tokens.eos, R1_TOKEN_IDS.eos);
      assert.equal(model.tokens.bosString, '<｜begin▁of▁sentence｜>');
      // The real Qwen2 BPE: "Hello world" is two tokens.
      assert.deepEqual(model.tokenize('Hello world'), [9707, 1879]);
      const template = await readFile(new URL('./deepseek-r1-distill-qwen.jinja', import.meta.url), 'utf8');
      assert.equal(model.fileInfo.metadata.tokenizer.chat_template, template);
      assert.equal(resolveChatWrapper(model).wrapperName, 'DeepSeek');

      const context = await model.createContext({ contextSize: 256, batchSize: 64 });
      try {
        const completion = new LlamaCompletion({ contextSequence: context.getSequence() });
        const tokens: number[] = [];
        await completion.generateCompletion('Hello', { maxTokens: 6, onToken: (t) => tokens.push(...t) });
        assert.ok(tokens.length > 0);
      } finally {
        await context.dispose();
      }
    } finally {
      await model.dispose();
    }
  });

  test('q4_0 models load too, and two writers racing for one path leave one valid file', async () => {
    const out = join(dir, 'race-q4_0.gguf');
    const child = spawn(process.execPath, ['-e', '0']);
    await once(child, 'exit');
    const stale = `${out}.${child.pid}.0badf00d.tmp`;
    await writeFile(stale, 'left by a killed writer');
    const [a, b] = await Promise.all([
      synthesizeModel({ preset: 'tiny', quant: 'q4_0', out }),
      synthesizeModel({ preset: 'tiny', quant: 'q4_0', out }),
    ]);
    assert.equal(a.bytes, b.bytes);
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.startsWith('race-')),
      ['race-q4_0.gguf'],
    );
    const header = await readGgufHeader(out);
    assert.equal(header.fileSize, a.bytes);
    assert.equal(header.metadata.get('general.file_type'), 2);
    assert.equal(header.tensors.find((t) => t.name === 'output.weight')?.typeName, 'q4_0');
    assert.equal(header.tensors.find((t) => t.name === 'blk.0.attn_q.bias')?.typeName, 'f32');
    const model = await llama.loadModel({ modelPath: out });
    try {
      const context = await model.createContext({ contextSize: 128, batchSize: 32 });
      const completion = new LlamaCompletion({ contextSequence: context.getSequence() });
      const tokens: number[] = [];
      await completion.generateCompletion('Hi', { maxTokens: 3, onToken: (t) => tokens.push(...t) });
      assert.ok(tokens.length > 0);
      await context.dispose();
    } finally {
      await model.dispose();
    }
  });

  test('the r1-1.5b preset has DeepSeek-R1-Distill-Qwen-1.5B shapes (header only, no weights generated)', async () => {
    const spec = await qwen2GgufOptions('r1-1.5b', 'q4_0');
    const { header, dataBytes } = encodeGgufHeader(spec);
    assert.equal(spec.tensors.length, 3 + 28 * 12);
    const dims = new Map(spec.tensors.map((t) => [t.name, [...t.dims]]));
    assert.deepEqual(dims.get('token_embd.weight'), [1536, 151936]);
    assert.deepEqual(dims.get('output.weight'), [1536, 151936]);
    assert.deepEqual(dims.get('blk.27.attn_q.weight'), [1536, 1536]);
    assert.deepEqual(dims.get('blk.27.attn_k.weight'), [1536, 256]);
    assert.deepEqual(dims.get('blk.27.attn_v.bias'), [256]);
    assert.deepEqual(dims.get('blk.27.ffn_gate.weight'), [1536, 8960]);
    assert.deepEqual(dims.get('blk.27.ffn_down.weight'), [8960, 1536]);
    const meta = new Map(spec.metadata);
    assert.deepEqual(meta.get('qwen2.context_length'), { type: 'uint32', value: 32768 });
    assert.deepEqual(meta.get('qwen2.attention.head_count_kv'), { type: 'uint32', value: 2 });
    // ~1.78 B weights at 4.5 bits, plus F32 norms and biases.
    assert.ok(header.length + dataBytes > 0.95e9 && header.length + dataBytes < 1.05e9);
  });

  test('unknown presets and quantisations are clear errors', async () => {
    await assert.rejects(synthesizeModel({ preset: 'huge', out: join(dir, 'x.gguf') }), (err: unknown) => {
      assert.ok(err instanceof SynthModelError);
      assert.equal(err.code, 'unknown_preset');
      assert.match(err.message, /tiny, r1-1\.5b/);
      return true;
    });
    await assert.rejects(
      synthesizeModel({ quant: 'q2_k', out: join(dir, 'x.gguf') }),
      /unknown quantisation "q2_k"/,
    );
  });
});
