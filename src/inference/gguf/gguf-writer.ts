/**
 * A streaming GGUF v3 writer: the header (metadata and tensor infos) is built in memory (a few MB for a 152k
 * vocabulary), tensor data is pulled from each tensor's producer and written as it comes, so a multi-GB model
 * never sits in memory.
 */
import { open } from 'node:fs/promises';
import {
  alignUp,
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GGUF_VERSION,
  GgmlType,
  type GgmlTypeName,
  GgufValueType,
  tensorByteSize,
} from './gguf-format.ts';

type NumericTypeName = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64';

/** One typed metadata value. 64-bit integers are `bigint`. */
export type GgufValue =
  | { type: NumericTypeName; value: number }
  | { type: 'uint64' | 'int64'; value: bigint }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'array'; itemType: NumericTypeName; values: ArrayLike<number> }
  | { type: 'array'; itemType: 'string'; values: readonly string[] }
  | { type: 'array'; itemType: 'bool'; values: readonly boolean[] };

/** Shorthands for building metadata. */
export const gguf = {
  u32: (value: number): GgufValue => ({ type: 'uint32', value }),
  i32: (value: number): GgufValue => ({ type: 'int32', value }),
  f32: (value: number): GgufValue => ({ type: 'float32', value }),
  bool: (value: boolean): GgufValue => ({ type: 'bool', value }),
  str: (value: string): GgufValue => ({ type: 'string', value }),
  strings: (values: readonly string[]): GgufValue => ({ type: 'array', itemType: 'string', values }),
  i32s: (values: ArrayLike<number>): GgufValue => ({ type: 'array', itemType: 'int32', values }),
  f32s: (values: ArrayLike<number>): GgufValue => ({ type: 'array', itemType: 'float32', values }),
};

export interface GgufTensorSpec {
  name: string;
  /** Dimensions fastest-first (ne0 = row length, as ggml and GGUF list them). */
  dims: readonly number[];
  type: GgmlTypeName;
  /** Produces the tensor's encoded bytes in order; called once, when the writer reaches this tensor. */
  data: () => Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
}

export interface GgufWriteOptions {
  /** Metadata in file order. `general.alignment` is added when absent. */
  metadata: ReadonlyArray<readonly [string, GgufValue]>;
  tensors: readonly GgufTensorSpec[];
  /** Alignment of tensor data. Default 32. */
  alignment?: number;
  /** Called after each chunk of tensor data is written. */
  onProgress?: (written: number, total: number) => void;
  signal?: AbortSignal;
}

/** Grows as needed; the header of a real-vocabulary model is ~6 MB. */
class ByteSink {
  private buf = Buffer.allocUnsafe(1 << 20);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  u8(v: number): void {
    this.reserve(1);
    this.buf.writeUInt8(v, this.length);
    this.length += 1;
  }
  u32(v: number): void {
    this.reserve(4);
    this.buf.writeUInt32LE(v, this.length);
    this.length += 4;
  }
  u64(v: number | bigint): void {
    this.reserve(8);
    this.buf.writeBigUInt64LE(BigInt(v), this.length);
    this.length += 8;
  }
  string(s: string): void {
    const bytes = Buffer.byteLength(s, 'utf8');
    this.u64(bytes);
    this.reserve(bytes);
    this.buf.write(s, this.length, 'utf8');
    this.length += bytes;
  }
  numeric(type: NumericTypeName, v: number): void {
    const size = { uint8: 1, int8: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, float32: 4, float64: 8 }[
      type
    ];
    this.reserve(size);
    const b = this.buf;
    const o = this.length;
    switch (type) {
      case 'uint8':
        b.writeUInt8(v, o);
        break;
      case 'int8':
        b.writeInt8(v, o);
        break;
      case 'uint16':
        b.writeUInt16LE(v, o);
        break;
      case 'int16':
        b.writeInt16LE(v, o);
        break;
      case 'uint32':
        b.writeUInt32LE(v, o);
        break;
      case 'int32':
        b.writeInt32LE(v, o);
        break;
      case 'float32':
        b.writeFloatLE(v, o);
        break;
      case 'float64':
        b.writeDoubleLE(v, o);
        break;
      default:
        throw new Error(`unreachable: ${type satisfies never}`);
    }
    this.length += size;
  }
  zeros(n: number): void {
    this.reserve(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
  }
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

function writeValue(sink: ByteSink, value: GgufValue): void {
  sink.u32(GgufValueType[value.type]);
  switch (value.type) {
    case 'uint64':
      sink.u64(value.value);
      break;
    case 'int64': {
      sink.u64(BigInt.asUintN(64, value.value));
      break;
    }
    case 'bool':
      sink.u8(value.value ? 1 : 0);
      break;
    case 'string':
      sink.string(value.value);
      break;
    case 'array': {
      sink.u32(GgufValueType[value.itemType]);
      sink.u64(value.values.length);
      if (value.itemType === 'string') for (const s of value.values) sink.string(s);
      else if (value.itemType === 'bool') for (const b of value.values) sink.u8(b ? 1 : 0);
      else
        for (let i = 0; i < value.values.length; i++) sink.numeric(value.itemType, value.values[i] as number);
      break;
    }
    default:
      sink.numeric(value.type, value.value);
  }
}

/** Builds the bytes before the tensor data: header, metadata, tensor infos and padding. */
export function encodeGgufHeader(options: Pick<GgufWriteOptions, 'metadata' | 'tensors' | 'alignment'>): {
  header: Buffer;
  tensorSizes: number[];
  dataBytes: number;
} {
  const alignment = options.alignment ?? GGUF_DEFAULT_ALIGNMENT;
  const metadata = [...options.metadata];
  if (!metadata.some(([k]) => k === 'general.alignment'))
    metadata.push(['general.alignment', gguf.u32(alignment)]);
  const names = new Set<string>();
  for (const [key] of metadata) {
    if (names.has(key)) throw new Error(`duplicate metadata key ${key}`);
    names.add(key);
  }
  const sink = new ByteSink();
  for (const ch of GGUF_MAGIC) sink.u8(ch.charCodeAt(0));
  sink.u32(GGUF_VERSION);
  sink.u64(options.tensors.length);
  sink.u64(metadata.length);
  for (const [key, value] of metadata) {
    sink.string(key);
    writeValue(sink, value);
  }
  const tensorSizes: number[] = [];
  let offset = 0;
  for (const t of options.tensors) {
    const size = tensorByteSize(t.dims, t.type);
    sink.string(t.name);
    sink.u32(t.dims.length);
    for (const d of t.dims) sink.u64(d);
    sink.u32(GgmlType[t.type]);
    sink.u64(offset);
    tensorSizes.push(size);
    offset = alignUp(offset + size, alignment);
  }
  sink.zeros(alignUp(sink.length, alignment) - sink.length);
  return { header: Buffer.from(sink.bytes()), tensorSizes, dataBytes: offset };
}

/**
 * Writes a GGUF v3 file at `path` (replacing it). The caller writes to a temporary name and renames when it
 * needs atomicity. Throws if a producer yields a different number of bytes than its dims and type imply.
 * @returns the file size in bytes.
 */
export async function writeGgufFile(path: string, options: GgufWriteOptions): Promise<number> {
  const alignment = options.alignment ?? GGUF_DEFAULT_ALIGNMENT;
  const { header, tensorSizes, dataBytes } = encodeGgufHeader(options);
  const total = header.length + dataBytes;
  const fh = await open(path, 'w');
  try {
    let position = 0;
    const put = async (chunk: Uint8Array): Promise<void> => {
      let done = 0;
      while (done < chunk.length) {
        const { bytesWritten } = await fh.write(chunk, done, chunk.length - done, position);
        done += bytesWritten;
        position += bytesWritten;
      }
    };
    await put(header);
    const padding = new Uint8Array(alignment);
    for (const [i, tensor] of options.tensors.entries()) {
      const expected = tensorSizes[i] as number;
      let got = 0;
      for await (const chunk of tensor.data()) {
        options.signal?.throwIfAborted();
        got += chunk.length;
        if (got > expected)
          throw new Error(`tensor ${tensor.name}: producer yielded more than ${expected} bytes`);
        await put(chunk);
        options.onProgress?.(position, total);
      }
      if (got !== expected)
        throw new Error(`tensor ${tensor.name}: producer yielded ${got} of ${expected} bytes`);
      const pad = alignUp(got, alignment) - got;
      if (pad > 0) await put(padding.subarray(0, pad));
    }
    return position;
  } finally {
    await fh.close();
  }
}
