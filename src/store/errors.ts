/**
 * Errors the store raises, as typed values with a `code` (design: errors cross layers as classes).
 * Messages never contain decrypted data, passwords, tokens or key material.
 */

export type StoreErrorCode =
  /** Bad input (NUL byte, too long, empty where required); `field` names it. The server answers 400. */
  | 'validation'
  /** A unique value already exists (email, token hash, invite code). The server answers 409 or hides it. */
  | 'conflict'
  /** A referenced row does not exist or belongs to another user. The server answers 404. */
  | 'not_found'
  /** An invite code is unknown, used or expired. */
  | 'invalid_invite'
  /** A ciphertext failed authentication: tampered, swapped between rows/users, or a wrong key. */
  | 'decrypt_failed'
  /** The master key is malformed, does not match the database, or its key file is unsafe. */
  | 'master_key'
  /** The database could not be opened or migrated. */
  | 'database';

export class StoreError extends Error {
  override readonly name: string = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    /** The offending field for `validation` / `conflict` errors (e.g. `email`). */
    readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Input rejected before it reached SQL (e.g. a NUL byte in an email, a 1 MB display name). */
export class StoreValidationError extends StoreError {
  override readonly name = 'StoreValidationError';
  constructor(field: string, message: string) {
    super('validation', `${field}: ${message}`, field);
  }
}

/** AES-GCM authentication failed: the ciphertext does not belong to this row, column and owner, or the key is wrong. */
export class DecryptError extends StoreError {
  override readonly name = 'DecryptError';
  constructor(where: string) {
    super(
      'decrypt_failed',
      `cannot decrypt ${where}: ciphertext was tampered with, moved, or the key is wrong`,
    );
  }
}

/** Problems with the master key or its key file; the message says what to do. */
export class MasterKeyError extends StoreError {
  override readonly name = 'MasterKeyError';
  constructor(message: string) {
    super('master_key', message);
  }
}
