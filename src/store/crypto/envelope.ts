/**
 * Envelope encryption (design §6). Each user has a random 256-bit data key; it encrypts that user's
 * titles, message content and reasoning with AES-256-GCM and is itself stored wrapped (AES-256-GCM)
 * by the master key. Rotating the master key re-wraps data keys only.
 *
 * Stored format (both fields and wrapped keys):
 *   version (1 byte, 0x01) | key version (uint32 BE) | nonce (12) | ciphertext | tag (16)
 * The header is also authenticated (it is part of the AAD), so it cannot be edited either.
 *
 * AAD binds a field to `table`, `column`, row id and owner user id: a ciphertext copied to another
 * row, column or user fails authentication (`DecryptError`) instead of decrypting to someone's text.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { DecryptError } from '../errors.ts';

const FORMAT_VERSION = 1;
const HEADER = 5;
const NONCE = 12;
const TAG = 16;
export const DATA_KEY_BYTES = 32;

/** Where a ciphertext lives; every part goes into the AAD. */
export interface FieldContext {
  table: string;
  column: string;
  rowId: string;
  userId: string;
}

function header(keyVersion: number): Buffer {
  const h = Buffer.alloc(HEADER);
  h.writeUInt8(FORMAT_VERSION, 0);
  h.writeUInt32BE(keyVersion, 1);
  return h;
}

function seal(key: Buffer, keyVersion: number, plaintext: Buffer, aad: string): Buffer {
  const head = header(keyVersion);
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.concat([head, Buffer.from(aad, 'utf8')]));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([head, nonce, body, cipher.getAuthTag()]);
}

function open(key: Buffer, sealed: Uint8Array, aad: string, where: string): Buffer {
  const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (buf.length < HEADER + NONCE + TAG || buf.readUInt8(0) !== FORMAT_VERSION) throw new DecryptError(where);
  const head = buf.subarray(0, HEADER);
  const nonce = buf.subarray(HEADER, HEADER + NONCE);
  const body = buf.subarray(HEADER + NONCE, buf.length - TAG);
  const tag = buf.subarray(buf.length - TAG);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAAD(Buffer.concat([head, Buffer.from(aad, 'utf8')]));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new DecryptError(where);
  }
}

/** The key version recorded in a stored ciphertext's header. */
export function keyVersionOf(sealed: Uint8Array): number {
  return Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength).readUInt32BE(1);
}

export function newDataKey(): Buffer {
  return randomBytes(DATA_KEY_BYTES);
}

const wrapAad = (userId: string) => `ponder|v1|data-key|${userId}`;

export function wrapDataKey(
  masterKey: Buffer,
  masterVersion: number,
  userId: string,
  dataKey: Buffer,
): Buffer {
  return seal(masterKey, masterVersion, dataKey, wrapAad(userId));
}

export function unwrapDataKey(masterKey: Buffer, userId: string, wrapped: Uint8Array): Buffer {
  const key = open(masterKey, wrapped, wrapAad(userId), 'data key');
  if (key.length !== DATA_KEY_BYTES) throw new DecryptError('data key');
  return key;
}

const CHECK_AAD = 'ponder|v1|master-key-check';
const CHECK_TEXT = Buffer.from('ponder master key check', 'utf8');

/** A value stored in the database that only the right master key opens: detects a wrong key at start-up. */
export function makeKeyCheck(masterKey: Buffer, masterVersion: number): Buffer {
  return seal(masterKey, masterVersion, CHECK_TEXT, CHECK_AAD);
}

export function verifyKeyCheck(masterKey: Buffer, check: Uint8Array): boolean {
  try {
    return open(masterKey, check, CHECK_AAD, 'key check').equals(CHECK_TEXT);
  } catch {
    return false;
  }
}

const fieldAad = (c: FieldContext) => `ponder|v1|${c.table}|${c.column}|${c.rowId}|${c.userId}`;

/** A user's unwrapped keys: one for fields, one (derived) for the search blind index. */
export class UserKeys {
  readonly searchKey: Buffer;
  constructor(
    private readonly dataKey: Buffer,
    /** Data-key version (1 until data keys themselves are ever rotated). */
    readonly version = 1,
  ) {
    this.searchKey = Buffer.from(hkdfSync('sha256', dataKey, Buffer.alloc(0), 'ponder search index v1', 32));
  }

  encrypt(ctx: FieldContext, text: string): Buffer {
    return seal(this.dataKey, this.version, Buffer.from(text, 'utf8'), fieldAad(ctx));
  }

  decrypt(ctx: FieldContext, sealed: Uint8Array): string {
    return open(this.dataKey, sealed, fieldAad(ctx), `${ctx.table}.${ctx.column}`).toString('utf8');
  }

  /** Binary fields (uploaded documents' bytes, embedding vectors): same envelope, same AAD. */
  encryptBytes(ctx: FieldContext, bytes: Uint8Array): Buffer {
    return seal(
      this.dataKey,
      this.version,
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      fieldAad(ctx),
    );
  }

  decryptBytes(ctx: FieldContext, sealed: Uint8Array): Buffer {
    return open(this.dataKey, sealed, fieldAad(ctx), `${ctx.table}.${ctx.column}`);
  }

  /** Blind-index hash of one normalised token. */
  tokenHash(token: string): Buffer {
    return createHmac('sha256', this.searchKey).update(token, 'utf8').digest();
  }
}
