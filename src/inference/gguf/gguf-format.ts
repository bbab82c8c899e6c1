/**
 * GGUF v3 constants shared by the writer and the reader.
 * Spec: ggml's docs/gguf.md. Numbers here are part of the file format and never change.
 */

export const GGUF_MAGIC = 'GGUF';
export const GGUF_VERSION = 3;
/** Alignment of the tensor data section and of each tensor in it (`general.alignment` default). */
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** Metadata value types, as stored in the file. */
export const GgufValueType = {
  uint8: 0,
  int8: 1,
  uint16: 2,
  int16: 3,
  uint32: 4,
  int32: 5,
  float32: 6,
  bool: 7,
  string: 8,
  array: 9,
  uint64: 10,
  int64: 11,
  float64: 12,
} as const;
export type GgufScalarTypeName = Exclude<keyof typeof GgufValueType, 'array'>;

/** The ggml tensor types this project writes. */
export const GgmlType = { f32: 0, f16: 1, q4_0: 2, q8_0: 8 } as const;
export type GgmlTypeName = keyof typeof GgmlType;

/** Values of `general.file_type` (llama_ftype) for the quantisations we produce or recognise. */
export const LLAMA_FILE_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'F32',
  1: 'F16',
  2: 'Q4_0',
  3: 'Q4_1',
  7: 'Q8_0',
  8: 'Q5_0',
  9: 'Q5_1',
  10: 'Q2_K',
  11: 'Q3_K_S',
  12: 'Q3_K_M',
  13: 'Q3_K_L',
  14: 'Q4_K_S',
  15: 'Q4_K_M',
  16: 'Q5_K_S',
  17: 'Q5_K_M',
  18: 'Q6_K',
  19: 'IQ2_XXS',
  20: 'IQ2_XS',
  21: 'Q2_K_S',
  22: 'IQ3_XS',
  23: 'IQ3_XXS',
  24: 'IQ1_S',
  25: 'IQ4_NL',
  26: 'IQ3_S',
  27: 'IQ3_M',
  28: 'IQ2_S',
  29: 'IQ2_M',
  30: 'IQ4_XS',
  31: 'IQ1_M',
  32: 'BF16',
  36: 'TQ1_0',
  37: 'TQ2_0',
  38: 'MXFP4',
};

/** Values per quantisation block and bytes per block for each written type. */
const BLOCK: Record<GgmlTypeName, { values: number; bytes: number }> = {
  f32: { values: 1, bytes: 4 },
  f16: { values: 1, bytes: 2 },
  q4_0: { values: 32, bytes: 18 },
  q8_0: { values: 32, bytes: 34 },
};

export function blockValues(type: GgmlTypeName): number {
  return BLOCK[type].values;
}

/** Bytes taken by a tensor with these dims (fastest-first) and type; throws when rows do not fill whole blocks. */
export function tensorByteSize(dims: readonly number[], type: GgmlTypeName): number {
  const { values, bytes } = BLOCK[type];
  const ne0 = dims[0] ?? 1;
  if (ne0 % values !== 0)
    throw new RangeError(`ne0=${ne0} is not a multiple of the ${type} block size ${values}`);
  const count = dims.reduce((a, b) => a * b, 1);
  return (count / values) * bytes;
}

export function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}
