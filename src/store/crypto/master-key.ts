/**
 * The master key: given (`PONDER_MASTER_KEY`) or kept in `<dataDir>/master.key` (mode 0600), never in
 * the database, so a stolen database file or dump alone cannot unwrap any data key.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { MasterKeyError } from '../errors.ts';

export const MASTER_KEY_BYTES = 32;
export const KEY_FILE_NAME = 'master.key';

/** Parses 64 hex chars or base64 of exactly 32 bytes; anything else is a `MasterKeyError`. */
export function parseMasterKey(value: string | Uint8Array, source = 'master key'): Buffer {
  if (typeof value !== 'string') {
    if (value.length !== MASTER_KEY_BYTES) {
      throw new MasterKeyError(`${source}: expected ${MASTER_KEY_BYTES} bytes, got ${value.length}`);
    }
    return Buffer.from(value);
  }
  const text = value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) {
    const bytes = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (bytes.length === MASTER_KEY_BYTES) return bytes;
  }
  throw new MasterKeyError(
    `${source} must be 32 bytes written as 64 hex characters or base64 (generate one with: openssl rand -hex 32)`,
  );
}

export function generateMasterKey(): Buffer {
  return randomBytes(MASTER_KEY_BYTES);
}

export function keyFilePath(dataDir: string): string {
  return join(dataDir, KEY_FILE_NAME);
}

/** Refuses a key file that anyone but its owner can read or write. */
export function assertPrivateFile(path: string): void {
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new MasterKeyError(
      `refusing to start: the key file ${path} is readable or writable by group/others (mode ${mode.toString(8).padStart(4, '0')}); run: chmod 600 ${path}`,
    );
  }
}

/** Reads a key file (hex, one line), checking its mode first. */
export function readKeyFile(path: string): Buffer {
  assertPrivateFile(path);
  return parseMasterKey(readFileSync(path, 'utf8'), `key file ${path}`);
}

/**
 * Writes a new key file with mode 0600, failing if it exists (`wx`: two processes starting at once
 * cannot both create one).
 */
export function writeKeyFile(path: string, key: Buffer): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, `${key.toString('hex')}\n`);
  } finally {
    closeSync(fd);
  }
  // The umask cannot widen 0600, but an odd umask could narrow it; make the mode exact.
  chmodSync(path, 0o600);
}

export interface ResolvedMasterKey {
  key: Buffer;
  /** Where it came from, for messages: `option` or the key file path. */
  source: string;
  /** True when the key file was created just now. */
  created: boolean;
}

/** The configured key, else the key file in `dataDir` (created at first start). */
export function resolveMasterKey(dataDir: string, masterKey: string | undefined): ResolvedMasterKey {
  if (masterKey !== undefined) return { key: parseMasterKey(masterKey), source: 'option', created: false };
  const path = keyFilePath(dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    return { key: readKeyFile(path), source: path, created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = generateMasterKey();
  try {
    writeKeyFile(path, key);
  } catch (err) {
    // Another process created it between our read and write: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST')
      return { key: readKeyFile(path), source: path, created: false };
    throw err;
  }
  return { key, source: path, created: true };
}
