/**
 * ggml block quantisation (reference algorithms of ggml-quants.c) and IEEE half-precision conversion.
 * Every block holds 32 consecutive values of a row and an fp16 scale.
 */
import { type GgmlTypeName, tensorByteSize } from './gguf-format.ts';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → IEEE binary16 bits, round to nearest even; overflow becomes infinity. */
export function toHalf(value: number): number {
  f32[0] = value;
  const x = u32[0] as number;
  const sign = (x >>> 16) & 0x8000;
  const rawExp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (rawExp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const exp = rawExp - 127 + 15;
  if (exp >= 0x1f) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - exp;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (half & 1) !== 0)) half++;
    return sign | half;
  }
  let half = sign | (exp << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent.
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1) !== 0)) half++;
  return half;
}

/** IEEE binary16 bits → number. */
export function fromHalf(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

function quantizeQ8_0(src: Float32Array, out: Uint8Array): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const blocks = src.length / 32;
  for (let b = 0; b < blocks; b++) {
    const base = b * 32;
    let amax = 0;
    for (let j = 0; j < 32; j++) {
      const a = Math.abs(src[base + j] as number);
      if (a > amax) amax = a;
    }
    const d = amax / 127;
    const id = d !== 0 ? 1 / d : 0;
    const o = b * 34;
    view.setUint16(o, toHalf(d), true);
    for (let j = 0; j < 32; j++) {
      // roundf: half away from zero, like ggml's reference.
      const x = (src[base + j] as number) * id;
      out[o + 2 + j] = (x >= 0 ? (x + 0.5) | 0 : (x - 0.5) | 0) & 0xff;
    }
  }
}

function quantizeQ4_0(src: Float32Array, out: Uint8Array): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const blocks = src.length / 32;
  for (let b = 0; b < blocks; b++) {
    const base = b * 32;
    // The signed value of largest magnitude maps to -8, so the full 4-bit range is used on that side.
    let amax = 0;
    let max = 0;
    for (let j = 0; j < 32; j++) {
      const v = src[base + j] as number;
      if (Math.abs(v) > amax) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = max / -8;
    const id = d !== 0 ? 1 / d : 0;
    const o = b * 18;
    view.setUint16(o, toHalf(d), true);
    for (let j = 0; j < 16; j++) {
      const q0 = Math.min(15, Math.trunc((src[base + j] as number) * id + 8.5));
      const q1 = Math.min(15, Math.trunc((src[base + 16 + j] as number) * id + 8.5));
      out[o + 2 + j] = q0 | (q1 << 4);
    }
  }
}

/**
 * Encodes values (a whole number of rows, row length `ne0`) as `type`.
 * @returns a new byte array of exactly `tensorByteSize([ne0, rows], type)` bytes.
 */
export function encodeTensorData(src: Float32Array, ne0: number, type: GgmlTypeName): Uint8Array {
  if (src.length % ne0 !== 0) throw new RangeError(`${src.length} values are not whole rows of ${ne0}`);
  const out = new Uint8Array(tensorByteSize([ne0, src.length / ne0], type));
  switch (type) {
    case 'f32':
      new Float32Array(out.buffer).set(src);
      break;
    case 'f16': {
      const view = new DataView(out.buffer);
      for (let i = 0; i < src.length; i++) view.setUint16(i * 2, toHalf(src[i] as number), true);
      break;
    }
    case 'q8_0':
      quantizeQ8_0(src, out);
      break;
    case 'q4_0':
      quantizeQ4_0(src, out);
      break;
    default:
      throw new Error(`unreachable: ${type satisfies never}`);
  }
  return out;
}

/** Decodes `type` data back to floats (tests and sanity checks). */
export function decodeTensorData(data: Uint8Array, type: GgmlTypeName): Float32Array {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  switch (type) {
    case 'f32':
      return new Float32Array(data.slice().buffer);
    case 'f16': {
      const out = new Float32Array(data.length / 2);
      for (let i = 0; i < out.length; i++) out[i] = fromHalf(view.getUint16(i * 2, true));
      return out;
    }
    case 'q8_0': {
      const out = new Float32Array((data.length / 34) * 32);
      for (let b = 0; b < data.length / 34; b++) {
        const d = fromHalf(view.getUint16(b * 34, true));
        for (let j = 0; j < 32; j++) out[b * 32 + j] = d * view.getInt8(b * 34 + 2 + j);
      }
      return out;
    }
    case 'q4_0': {
      const out = new Float32Array((data.length / 18) * 32);
      for (let b = 0; b < data.length / 18; b++) {
        const d = fromHalf(view.getUint16(b * 18, true));
        for (let j = 0; j < 16; j++) {
          const q = data[b * 18 + 2 + j] as number;
          out[b * 32 + j] = d * ((q & 0x0f) - 8);
          out[b * 32 + 16 + j] = d * ((q >>> 4) - 8);
        }
      }
      return out;
    }
    default:
      return type satisfies never;
  }
}
