/**
 * Synthetic DeepSeek-R1-Distill-Qwen models: the qwen2 architecture exactly as llama.cpp loads it, random weights,
 * the real vocabulary, merges, special tokens and chat template. Outputs are noise; shapes, tokenisation, templates
 * and speed are real.
 */
import { readFile } from 'node:fs/promises';
import type { GgmlTypeName } from './gguf-format.ts';
import type { GgufTensorSpec, GgufValue, GgufWriteOptions } from './gguf-writer.ts';
import { gguf } from './gguf-writer.ts';
import { Prng } from './prng.ts';
import { encodeTensorData } from './quantize.ts';
import { loadQwenPrefixVocab } from './qwen-prefix-vocab.ts';
import { loadR1Vocab, R1_TOKEN_IDS, R1_VOCAB_SIZE } from './r1-vocab.ts';

/** Bump when the structure of generated files changes (metadata, tensors), so cached models are rebuilt. */
export const SYNTH_GENERATOR_VERSION = 1;
export const SYNTH_VERSION_KEY = 'ponder.synth.version';
/**
 * Presets whose files changed after version 1 carry their own version, so the others' cached files (the
 * 2 GB benchmark model among them) are not rebuilt for nothing.
 */
const PRESET_VERSIONS: Partial<Record<string, number>> = { 'embed-tiny': 2 };

export function synthVersionOf(preset: string): number {
  return PRESET_VERSIONS[preset] ?? SYNTH_GENERATOR_VERSION;
}

export interface Qwen2Shape {
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  ffn: number;
  contextLength: number;
  ropeTheta: number;
  rmsEps: number;
  vocab: number;
  /**
   * An embedding model (issue 13): llama.cpp pools the last token's hidden state (Qwen3-Embedding's
   * scheme) and the tokenizer appends the end-of-text token, so the vector reads the whole input.
   */
  embedding?: boolean;
}

export const MODEL_PRESETS = {
  /** For tests: ~20 MB at q8_0, loads in about two seconds (the vocabulary dominates). */
  tiny: {
    hidden: 64,
    layers: 2,
    heads: 4,
    kvHeads: 2,
    ffn: 128,
    contextLength: 4096,
    ropeTheta: 10000,
    rmsEps: 1e-6,
    vocab: R1_VOCAB_SIZE,
  },
  /** DeepSeek-R1-Distill-Qwen-1.5B's shapes, for benchmarks: ~1.9 GB at q8_0, ~1 GB at q4_0. */
  'r1-1.5b': {
    hidden: 1536,
    layers: 28,
    heads: 12,
    kvHeads: 2,
    ffn: 8960,
    contextLength: 32768,
    ropeTheta: 10000,
    rmsEps: 1e-6,
    vocab: R1_VOCAB_SIZE,
  },
  /**
   * An embedding model for tests and `bench:documents`: 128-d vectors, a 4096-token prefix of Qwen2's
   * vocabulary (see `qwen-prefix-vocab.ts`), under 1 MB at q8_0.
   */
  'embed-tiny': {
    hidden: 128,
    layers: 2,
    heads: 4,
    kvHeads: 2,
    ffn: 256,
    contextLength: 2048,
    ropeTheta: 10000,
    rmsEps: 1e-6,
    vocab: 4096,
    embedding: true,
  },
} as const satisfies Record<string, Qwen2Shape>;

export type ModelPreset = keyof typeof MODEL_PRESETS;
export const MODEL_QUANTS = ['q8_0', 'q4_0'] as const;
export type ModelQuant = (typeof MODEL_QUANTS)[number];

export function isModelPreset(value: string): value is ModelPreset {
  return Object.hasOwn(MODEL_PRESETS, value);
}
export function isModelQuant(value: string): value is ModelQuant {
  return (MODEL_QUANTS as readonly string[]).includes(value);
}

/** llama_ftype values stored in `general.file_type`. */
const FILE_TYPE: Record<ModelQuant, number> = { q8_0: 7, q4_0: 2 };
/** Standard deviation of random weights: small, so activations stay finite through every layer. */
const WEIGHT_SCALE = 0.02;
/** Values generated per chunk: bounds memory whatever the model size. */
const CHUNK_VALUES = 1 << 20;

function randomMatrix(
  name: string,
  ne0: number,
  ne1: number,
  type: GgmlTypeName,
  seed: number,
): GgufTensorSpec {
  return {
    name,
    dims: [ne0, ne1],
    type,
    *data() {
      const prng = new Prng(Prng.seedFrom(name, seed));
      const rowsPerChunk = Math.max(1, Math.floor(CHUNK_VALUES / ne0));
      const buf = new Float32Array(rowsPerChunk * ne0);
      for (let row = 0; row < ne1; row += rowsPerChunk) {
        const rows = Math.min(rowsPerChunk, ne1 - row);
        const values = buf.subarray(0, rows * ne0);
        yield encodeTensorData(prng.fillNormal(values, WEIGHT_SCALE), ne0, type);
      }
    },
  };
}

function vector(name: string, n: number, fill: 'ones' | 'random', seed: number): GgufTensorSpec {
  return {
    name,
    dims: [n],
    type: 'f32',
    *data() {
      const values = new Float32Array(n);
      if (fill === 'ones') values.fill(1);
      else new Prng(Prng.seedFrom(name, seed)).fillNormal(values, WEIGHT_SCALE);
      yield encodeTensorData(values, n, 'f32');
    },
  };
}

/** Tensor list of a qwen2 model: untied output, q/k/v biases, SwiGLU FFN. 2-D weights in `quant`, 1-D in F32. */
export function qwen2Tensors(shape: Qwen2Shape, quant: ModelQuant, seed = 0): GgufTensorSpec[] {
  const { hidden, ffn, vocab } = shape;
  const headDim = hidden / shape.heads;
  const kvDim = headDim * shape.kvHeads;
  const tensors: GgufTensorSpec[] = [randomMatrix('token_embd.weight', hidden, vocab, quant, seed)];
  for (let i = 0; i < shape.layers; i++) {
    const p = `blk.${i}`;
    tensors.push(
      vector(`${p}.attn_norm.weight`, hidden, 'ones', seed),
      randomMatrix(`${p}.attn_q.weight`, hidden, hidden, quant, seed),
      vector(`${p}.attn_q.bias`, hidden, 'random', seed),
      randomMatrix(`${p}.attn_k.weight`, hidden, kvDim, quant, seed),
      vector(`${p}.attn_k.bias`, kvDim, 'random', seed),
      randomMatrix(`${p}.attn_v.weight`, hidden, kvDim, quant, seed),
      vector(`${p}.attn_v.bias`, kvDim, 'random', seed),
      randomMatrix(`${p}.attn_output.weight`, hidden, hidden, quant, seed),
      vector(`${p}.ffn_norm.weight`, hidden, 'ones', seed),
      randomMatrix(`${p}.ffn_gate.weight`, hidden, ffn, quant, seed),
      randomMatrix(`${p}.ffn_up.weight`, hidden, ffn, quant, seed),
      randomMatrix(`${p}.ffn_down.weight`, ffn, hidden, quant, seed),
    );
  }
  tensors.push(
    vector('output_norm.weight', hidden, 'ones', seed),
    randomMatrix('output.weight', hidden, vocab, quant, seed),
  );
  return tensors;
}

export function validateShape(shape: Qwen2Shape): void {
  if (shape.hidden % shape.heads !== 0) throw new RangeError('hidden must be a multiple of heads');
  if (shape.heads % shape.kvHeads !== 0) throw new RangeError('heads must be a multiple of kvHeads');
  if (shape.hidden % 32 !== 0 || shape.ffn % 32 !== 0)
    throw new RangeError('hidden and ffn must be multiples of 32');
}

let templateText: Promise<string> | undefined;
/** The R1-Distill chat template from the model's own tokenizer config (kept beside this file). */
export function r1ChatTemplate(): Promise<string> {
  templateText ??= readFile(new URL('./deepseek-r1-distill-qwen.jinja', import.meta.url), 'utf8');
  return templateText;
}

/** Everything `writeGgufFile` needs for a synthetic model of `preset` in `quant`. */
export async function qwen2GgufOptions(
  preset: ModelPreset,
  quant: ModelQuant,
): Promise<Pick<GgufWriteOptions, 'metadata' | 'tensors'>> {
  const shape: Qwen2Shape = MODEL_PRESETS[preset];
  validateShape(shape);
  const metadata: Array<[string, GgufValue]> = [
    ['general.architecture', gguf.str('qwen2')],
    ['general.type', gguf.str('model')],
    [
      'general.name',
      gguf.str(`Ponder synthetic ${preset} (random weights${shape.embedding ? ', embedding' : ''})`),
    ],
    ['general.file_type', gguf.u32(FILE_TYPE[quant])],
    ['general.quantization_version', gguf.u32(2)],
    [SYNTH_VERSION_KEY, gguf.u32(synthVersionOf(preset))],
    ['qwen2.context_length', gguf.u32(shape.contextLength)],
    ['qwen2.embedding_length', gguf.u32(shape.hidden)],
    ['qwen2.block_count', gguf.u32(shape.layers)],
    ['qwen2.feed_forward_length', gguf.u32(shape.ffn)],
    ['qwen2.attention.head_count', gguf.u32(shape.heads)],
    ['qwen2.attention.head_count_kv', gguf.u32(shape.kvHeads)],
    ['qwen2.rope.freq_base', gguf.f32(shape.ropeTheta)],
    ['qwen2.attention.layer_norm_rms_epsilon', gguf.f32(shape.rmsEps)],
    ...(shape.embedding ? await embeddingTokenizer(shape.vocab) : await r1Tokenizer(shape.vocab)),
  ];
  return { metadata, tensors: qwen2Tensors(shape, quant) };
}

/** R1-Distill-Qwen's own tokenizer and chat template. */
async function r1Tokenizer(size: number): Promise<Array<[string, GgufValue]>> {
  const [vocab, template] = await Promise.all([loadR1Vocab(size), r1ChatTemplate()]);
  return [
    ['tokenizer.ggml.model', gguf.str('gpt2')],
    ['tokenizer.ggml.pre', gguf.str('deepseek-r1-qwen')],
    ['tokenizer.ggml.tokens', gguf.strings(vocab.tokens)],
    ['tokenizer.ggml.token_type', gguf.i32s(vocab.tokenTypes)],
    ['tokenizer.ggml.merges', gguf.strings(vocab.merges)],
    ['tokenizer.ggml.bos_token_id', gguf.u32(R1_TOKEN_IDS.bos)],
    ['tokenizer.ggml.eos_token_id', gguf.u32(R1_TOKEN_IDS.eos)],
    ['tokenizer.ggml.padding_token_id', gguf.u32(R1_TOKEN_IDS.eos)],
    ['tokenizer.ggml.add_bos_token', gguf.bool(true)],
    ['tokenizer.ggml.add_eos_token', gguf.bool(false)],
    ['tokenizer.chat_template', gguf.str(template)],
  ];
}

/**
 * An embedding model's tokenizer, as Qwen3-Embedding's: `<|endoftext|>` appended to every input and
 * its hidden state pooled (llama.cpp's LLAMA_POOLING_TYPE_LAST; a pooling type in the header is also how
 * Ponder tells an embedding GGUF apart). A prefix of Qwen2's BPE keeps the output layer small.
 */
async function embeddingTokenizer(size: number): Promise<Array<[string, GgufValue]>> {
  const vocab = await loadQwenPrefixVocab(size);
  return [
    ['tokenizer.ggml.model', gguf.str('gpt2')],
    ['tokenizer.ggml.pre', gguf.str('qwen2')],
    ['tokenizer.ggml.tokens', gguf.strings(vocab.tokens)],
    ['tokenizer.ggml.token_type', gguf.i32s(vocab.tokenTypes)],
    ['tokenizer.ggml.merges', gguf.strings(vocab.merges)],
    ['tokenizer.ggml.bos_token_id', gguf.u32(vocab.endOfText)],
    ['tokenizer.ggml.eos_token_id', gguf.u32(vocab.endOfText)],
    ['tokenizer.ggml.padding_token_id', gguf.u32(vocab.endOfText)],
    ['tokenizer.ggml.add_bos_token', gguf.bool(false)],
    ['tokenizer.ggml.add_eos_token', gguf.bool(true)],
    ['qwen2.pooling_type', gguf.u32(3)],
  ];
}
