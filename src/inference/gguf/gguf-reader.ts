/**
 * A small GGUF reader for the header: version, metadata and tensor infos. Enough to validate a file, show its
 * quantisation and check what the writer wrote; tensor data is not read.
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
} from './gguf-format.ts';

export type GgufReadErrorCode =
  | 'not_found'
  | 'not_a_file'
  | 'not_gguf'
  | 'unsupported_version'
  | 'truncated'
  | 'corrupt';

/** Why a file could not be read as GGUF. `code` is stable; the message names the file. */
export class GgufReadError extends Error {
  override readonly name = 'GgufReadError';
  constructor(
    readonly code: GgufReadErrorCode,
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/** A decoded metadata value: numbers, `bigint` for 64-bit integers, booleans, strings, or arrays of those. */
export type GgufReadValue = number | bigint | boolean | string | GgufReadValue[];

export interface GgufTensorInfo {
  name: string;
  dims: number[];
  /** ggml type id; `typeName` is set for the types this project writes. */
  type: number;
  typeName?: GgmlTypeName;
  /** Offset from the start of the tensor data section. */
  offset: number;
}

export interface GgufHeader {
  version: number;
  metadata: Map<string, GgufReadValue>;
  tensors: GgufTensorInfo[];
  /** Absolute file offset of the tensor data section. */
  dataOffset: number;
  fileSize: number;
}

class NeedMore extends Error {}

const FIXED_SIZES: Partial<Record<number, number>> = {
  [GgufValueType.uint8]: 1,
  [GgufValueType.int8]: 1,
  [GgufValueType.uint16]: 2,
  [GgufValueType.int16]: 2,
  [GgufValueType.uint32]: 4,
  [GgufValueType.int32]: 4,
  [GgufValueType.float32]: 4,
  [GgufValueType.bool]: 1,
  [GgufValueType.uint64]: 8,
  [GgufValueType.int64]: 8,
  [GgufValueType.float64]: 8,
};

/** Synchronous cursor over a prefix of the file; throws NeedMore when it runs past the bytes read so far. */
class Cursor {
  pos = 0;
  private readonly view: DataView;
  constructor(private readonly buf: Buffer) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  private need(n: number): number {
    const at = this.pos;
    if (at + n > this.buf.length) throw new NeedMore();
    this.pos += n;
    return at;
  }
  u8(): number {
    return this.view.getUint8(this.need(1));
  }
  u32(): number {
    return this.view.getUint32(this.need(4), true);
  }
  u64(): bigint {
    return this.view.getBigUint64(this.need(8), true);
  }
  /** A u64 length or count that must be a safe integer below `limit`. */
  count(limit: number, what: string): number {
    const v = this.u64();
    if (v > BigInt(limit)) throw new RangeError(`${what} ${v} is implausibly large`);
    return Number(v);
  }
  string(): string {
    const len = this.count(1 << 30, 'string length');
    const at = this.need(len);
    return this.buf.toString('utf8', at, at + len);
  }
  /** Moves past a value without decoding it (fast path for 150k-entry vocabularies). */
  skip(type: number): void {
    if (type === GgufValueType.string) {
      this.need(this.count(1 << 30, 'string length'));
    } else if (type === GgufValueType.array) {
      const itemType = this.u32();
      const n = this.count(1 << 28, 'array length');
      const fixed = FIXED_SIZES[itemType];
      if (fixed !== undefined) this.need(fixed * n);
      else for (let i = 0; i < n; i++) this.skip(itemType);
    } else {
      const fixed = FIXED_SIZES[type];
      if (fixed === undefined) throw new RangeError(`unknown metadata value type ${type}`);
      this.need(fixed);
    }
  }
  scalar(type: number): GgufReadValue {
    switch (type) {
      case GgufValueType.uint8:
        return this.view.getUint8(this.need(1));
      case GgufValueType.int8:
        return this.view.getInt8(this.need(1));
      case GgufValueType.uint16:
        return this.view.getUint16(this.need(2), true);
      case GgufValueType.int16:
        return this.view.getInt16(this.need(2), true);
      case GgufValueType.uint32:
        return this.view.getUint32(this.need(4), true);
      case GgufValueType.int32:
        return this.view.getInt32(this.need(4), true);
      case GgufValueType.float32:
        return this.view.getFloat32(this.need(4), true);
      case GgufValueType.bool:
        return this.view.getUint8(this.need(1)) !== 0;
      case GgufValueType.string:
        return this.string();
      case GgufValueType.uint64:
        return this.view.getBigUint64(this.need(8), true);
      case GgufValueType.int64:
        return this.view.getBigInt64(this.need(8), true);
      case GgufValueType.float64:
        return this.view.getFloat64(this.need(8), true);
      case GgufValueType.array: {
        const itemType = this.u32();
        const n = this.count(1 << 28, 'array length');
        const out: GgufReadValue[] = new Array(n);
        for (let i = 0; i < n; i++) out[i] = this.scalar(itemType);
        return out;
      }
      default:
        throw new RangeError(`unknown metadata value type ${type}`);
    }
  }
}

const TYPE_NAMES = new Map<number, GgmlTypeName>(
  Object.entries(GgmlType).map(([name, id]) => [id, name as GgmlTypeName]),
);

export interface ReadGgufOptions {
  /** Decode array values (vocabularies, merges). When false, array-valued keys are left out. Default true. */
  readArrays?: boolean;
}

function parse(buf: Buffer, path: string, fileSize: number, options: ReadGgufOptions): GgufHeader {
  const c = new Cursor(buf);
  const magic = String.fromCharCode(c.u8(), c.u8(), c.u8(), c.u8());
  if (magic !== GGUF_MAGIC)
    throw new GgufReadError('not_gguf', path, `${path} is not a GGUF file (no GGUF magic)`);
  const version = c.u32();
  if (version !== GGUF_VERSION) {
    throw new GgufReadError(
      'unsupported_version',
      path,
      `${path} is GGUF version ${version}; only version 3 is supported`,
    );
  }
  const tensorCount = c.count(1 << 24, 'tensor count');
  const kvCount = c.count(1 << 24, 'metadata count');
  const metadata = new Map<string, GgufReadValue>();
  for (let i = 0; i < kvCount; i++) {
    const key = c.string();
    const type = c.u32();
    if (type === GgufValueType.array && options.readArrays === false) c.skip(type);
    else metadata.set(key, c.scalar(type));
  }
  const tensors: GgufTensorInfo[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = c.string();
    const nDims = c.u32();
    if (nDims > 8) throw new RangeError(`tensor ${name} has ${nDims} dimensions`);
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) dims.push(c.count(Number.MAX_SAFE_INTEGER, 'dimension'));
    const type = c.u32();
    const offset = c.count(Number.MAX_SAFE_INTEGER, 'tensor offset');
    const typeName = TYPE_NAMES.get(type);
    tensors.push(
      typeName === undefined ? { name, dims, type, offset } : { name, dims, type, typeName, offset },
    );
  }
  const alignment = metadata.get('general.alignment');
  const dataOffset = alignUp(
    c.pos,
    typeof alignment === 'number' && alignment > 0 ? alignment : GGUF_DEFAULT_ALIGNMENT,
  );
  return { version, metadata, tensors, dataOffset, fileSize };
}

/**
 * Reads and validates a GGUF v3 header. Throws {@link GgufReadError}: `not_found`, `not_a_file`, `not_gguf`,
 * `unsupported_version`, `truncated` (the header or the tensor data runs past the end of the file), `corrupt`.
 */
export async function readGgufHeader(path: string, options: ReadGgufOptions = {}): Promise<GgufHeader> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new GgufReadError('not_found', path, `${path} does not exist`);
    if (code === 'EISDIR')
      throw new GgufReadError('not_a_file', path, `${path} is a directory, not a GGUF file`);
    throw new GgufReadError('not_found', path, `cannot open ${path}: ${(err as Error).message}`);
  }
  try {
    const stat = await fh.stat();
    if (!stat.isFile()) throw new GgufReadError('not_a_file', path, `${path} is not a regular file`);
    const fileSize = stat.size;
    let want = Math.min(fileSize, 16 << 20);
    for (;;) {
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await fh.read(buf, 0, want, 0);
      try {
        const header = parse(buf.subarray(0, bytesRead), path, fileSize, options);
        checkTensorExtent(header, path);
        return header;
      } catch (err) {
        if (err instanceof GgufReadError) throw err;
        if (!(err instanceof NeedMore)) {
          throw new GgufReadError(
            'corrupt',
            path,
            `${path} has a corrupt GGUF header: ${(err as Error).message}`,
          );
        }
        if (bytesRead < 4)
          throw new GgufReadError('not_gguf', path, `${path} is not a GGUF file (too short)`);
        if (want >= fileSize) {
          throw new GgufReadError(
            'truncated',
            path,
            `${path} is truncated: its GGUF header runs past the end of the file`,
          );
        }
        want = Math.min(fileSize, want * 4);
      }
    }
  } finally {
    await fh.close();
  }
}

const TYPE_BLOCK: Partial<Record<number, [values: number, bytes: number]>> = {
  [GgmlType.f32]: [1, 4],
  [GgmlType.f16]: [1, 2],
  [GgmlType.q4_0]: [32, 18],
  [GgmlType.q8_0]: [32, 34],
  3: [32, 20], // q4_1
  6: [32, 22], // q5_0
  7: [32, 24], // q5_1
  10: [256, 84], // q2_K
  11: [256, 110], // q3_K
  12: [256, 144], // q4_K
  13: [256, 176], // q5_K
  14: [256, 210], // q6_K
  30: [1, 2], // bf16
};

/** The file must hold every tensor's bytes; only checked for types whose block size we know. */
function checkTensorExtent(header: GgufHeader, path: string): void {
  let end = header.dataOffset;
  for (const t of header.tensors) {
    const block = TYPE_BLOCK[t.type];
    if (block === undefined) continue;
    const count = t.dims.reduce((a, b) => a * b, 1);
    end = Math.max(end, header.dataOffset + t.offset + Math.ceil(count / block[0]) * block[1]);
  }
  if (end > header.fileSize) {
    throw new GgufReadError(
      'truncated',
      path,
      `${path} is truncated: its tensors need ${end} bytes but the file has ${header.fileSize}`,
    );
  }
}
