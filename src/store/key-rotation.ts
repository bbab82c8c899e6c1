/**
 * Master key rotation for the key-file setup (`ponder keys rotate`). Crash-safe order:
 *   1. copy master.key → master.key.old-<timestamp> (0600): the old key survives any failure below;
 *   2. write the new key to master.key.new (0600);
 *   3. re-wrap every data key in one transaction (Store.rotateMasterKey);
 *   4. rename master.key.new → master.key (atomic);
 *   5. remove the .old copy (unless asked to keep it).
 * A crash between 3 and 4 is completed by the next `openStore` (it finds master.key.new matching).
 */
import { chmodSync, constants, copyFileSync, existsSync, renameSync, unlinkSync } from 'node:fs';
import { generateMasterKey, keyFilePath, parseMasterKey, writeKeyFile } from './crypto/master-key.ts';
import { MasterKeyError } from './errors.ts';
import { pendingKeyFilePath } from './open-store.ts';
import type { Store } from './types.ts';

export interface KeyFileRotation {
  rewrapped: number;
  keyVersion: number;
  keyFile: string;
  /** The old key's copy when `keepOld`, else `null` (it was removed after success). */
  oldKeyFile: string | null;
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

/** Rotates the key in `<dataDir>/master.key`; `store` must have been opened with that key file. */
export async function rotateKeyFile(
  store: Store,
  dataDir: string,
  options: { newKey?: string; keepOld?: boolean } = {},
): Promise<KeyFileRotation> {
  const keyFile = keyFilePath(dataDir);
  if (!existsSync(keyFile)) throw new MasterKeyError(`no key file at ${keyFile}`);
  const next =
    options.newKey !== undefined ? parseMasterKey(options.newKey, '--new-key') : generateMasterKey();
  const oldCopy = `${keyFile}.old-${stamp()}`;
  const pending = pendingKeyFilePath(dataDir);
  copyFileSync(keyFile, oldCopy, constants.COPYFILE_EXCL);
  chmodSync(oldCopy, 0o600);
  // A leftover from an earlier failed attempt never matched the database (openStore would have adopted it).
  if (existsSync(pending)) unlinkSync(pending);
  writeKeyFile(pending, next);
  let result: { rewrapped: number; keyVersion: number };
  try {
    result = await store.rotateMasterKey(next);
  } catch (err) {
    unlinkSync(pending);
    unlinkSync(oldCopy);
    throw err;
  }
  renameSync(pending, keyFile);
  if (!options.keepOld) unlinkSync(oldCopy);
  return { ...result, keyFile, oldKeyFile: options.keepOld ? oldCopy : null };
}
