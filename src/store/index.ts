/** The store's public surface: import from here (or `types.ts` for types only). */
export { parseMasterKey } from './crypto/master-key.ts';
export {
  DecryptError,
  MasterKeyError,
  StoreError,
  type StoreErrorCode,
  StoreValidationError,
} from './errors.ts';
export { isId, newId } from './ids.ts';
export { type KeyFileRotation, rotateKeyFile } from './key-rotation.ts';
export { migrateDatabase, openStore } from './open-store.ts';
export {
  openPlaintextVectorIndex,
  type PlaintextVectorIndex,
  VectorIndexError,
} from './plaintext-vector-index.ts'; // documents (issue 13): the opt-in plaintext index
export type * from './types.ts';
