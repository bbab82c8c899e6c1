/**
 * Zip bomb guard for DOCX (and any ZIP) before a library inflates it. Reads the central directory,
 * refuses ZIP64, too many entries and implausible ratios, then inflates every entry for real with a hard
 * output cap (`maxOutputLength`), so a directory that lies about sizes is caught too. Only after this do
 * mammoth/JSZip (which inflate without limits) see the bytes.
 */
import { inflateRawSync } from 'node:zlib';
import { DocumentError } from './types.ts';

const EOCD_SIG = 0x06054b50;
const CDIR_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const MAX_ENTRIES = 5000;
/** Ratios like this happen for highly repetitive XML, but never for a real document's whole entry. */
const MAX_RATIO = 500;

export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 3 && bytes[3] === 4;
}

function malformed(): DocumentError {
  return new DocumentError('malformed', 'the file is not a readable ZIP/DOCX (truncated or corrupt)');
}

function bomb(limit: number): DocumentError {
  return new DocumentError(
    'zip_bomb',
    `the file expands to more than ${Math.round(limit / 1024 / 1024)} MiB when unpacked (a zip bomb?)`,
  );
}

/** Throws `DocumentError` (`malformed`, `zip_bomb`) unless every entry inflates within `maxUnzipped`. */
export function checkZip(input: Uint8Array, maxUnzipped: number): void {
  const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw malformed();
  const entries = buf.readUInt16LE(eocd + 10);
  const cdirSize = buf.readUInt32LE(eocd + 12);
  const cdirOffset = buf.readUInt32LE(eocd + 16);
  if (entries === 0xffff || cdirOffset === 0xffffffff) {
    throw new DocumentError('malformed', 'ZIP64 archives are not accepted for documents');
  }
  if (entries > MAX_ENTRIES)
    throw new DocumentError('zip_bomb', `the archive has more than ${MAX_ENTRIES} entries`);
  if (cdirOffset + cdirSize > buf.length) throw malformed();

  let declared = 0;
  let inflated = 0;
  let p = cdirOffset;
  for (let n = 0; n < entries; n++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== CDIR_SIG) throw malformed();
    const flags = buf.readUInt16LE(p + 8);
    const method = buf.readUInt16LE(p + 10);
    const compressed = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    p += 46 + nameLen + extraLen + commentLen;
    if (flags & 1) throw new DocumentError('malformed', 'encrypted ZIP entries are not accepted');
    declared += size;
    if (declared > maxUnzipped) throw bomb(maxUnzipped);
    if (size > 1024 * 1024 && size / Math.max(1, compressed) > MAX_RATIO) throw bomb(maxUnzipped);

    if (local + 30 > buf.length || buf.readUInt32LE(local) !== LOCAL_SIG) throw malformed();
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    if (start + compressed > buf.length) throw malformed();
    const data = buf.subarray(start, start + compressed);
    if (method === 0) {
      inflated += compressed;
    } else if (method === 8) {
      const budget = maxUnzipped - inflated;
      let out: Buffer;
      try {
        // One byte over the declared size is enough to prove the directory lied.
        out = inflateRawSync(data, { maxOutputLength: Math.max(1, Math.min(size, budget) + 1) });
      } catch (err) {
        if (err instanceof RangeError || (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
          throw bomb(maxUnzipped);
        }
        throw malformed();
      }
      if (out.length > size) throw bomb(maxUnzipped);
      inflated += out.length;
    } else {
      throw new DocumentError('malformed', `unsupported ZIP compression method ${method}`);
    }
    if (inflated > maxUnzipped) throw bomb(maxUnzipped);
  }
}
