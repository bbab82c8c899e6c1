/**
 * Stored responses of the OpenAI Responses API (migration `0006_responses`). The store keeps them
 * opaque: `body` is JSON text the caller owns (the response object and the conversation it continues),
 * encrypted with the owner's data key (AAD: table `responses`, column `body`, row, owner). Only the id,
 * the owner and the time are in the clear. Deleting the account deletes them (foreign key cascade).
 */

export interface ResponseRecord {
  /** `resp_…`, chosen by the caller (it is in the response before the row exists). */
  id: string;
  userId: string;
  /** JSON text, as given to `create`. */
  body: string;
  createdAt: Date;
}

export interface ResponseStore {
  /** Stores a response; the user must exist (`StoreError('not_found')` otherwise). */
  create(input: { id: string; userId: string; body: string }): Promise<ResponseRecord>;
  /** The response when it is `userId`'s; `null` for anyone else's or an unknown id. */
  get(id: string, userId: string): Promise<ResponseRecord | null>;
  /** Deletes the user's response; `false` when there was none of theirs. */
  delete(id: string, userId: string): Promise<boolean>;
  /**
   * Seals text with the user's data key for the client to hold (the Responses API's
   * `encrypted_content`): base64url, readable back only by `openForClient` for the same user.
   */
  sealForClient(userId: string, text: string): Promise<string>;
  /** The text sealed by `sealForClient` for this user; `null` when it is not (another user's, altered). */
  openForClient(userId: string, sealed: string): Promise<string | null>;
}
