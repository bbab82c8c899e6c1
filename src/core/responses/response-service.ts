/**
 * Stored responses of the Responses API, owner-scoped: what `previous_response_id` continues, what
 * `GET` / `DELETE /v1/responses/{id}` read and remove, and the reasoning a stateless client holds
 * (`encrypted_content`, sealed with the owner's data key). Generation itself goes through the
 * completion service, so admission, quotas, the usage ledger and the shutdown drain are the same as
 * `/v1/chat/completions`.
 */
import type { ResponseStore } from '../../store/types.ts';
import type { ResponseItem } from './items.ts';

/** What is stored per response (encrypted as one JSON body). */
export interface StoredResponse {
  /** The response object as the API returns it (the surface's shape; opaque here). */
  response: Record<string, unknown>;
  /** The conversation before this response's output: the chain's items and this request's input. */
  context: ResponseItem[];
  /** This request's input items, as `GET /v1/responses/{id}/input_items` lists them (the surface's shape). */
  inputItems: Record<string, unknown>[];
  /** The output as items, so a later `previous_response_id` replays it. */
  output: ResponseItem[];
  /** The engine slot affinity of the chain (its `prompt_cache_key`, else its first response's id). */
  affinityKey: string;
}

export class ResponseNotFoundError extends Error {
  override readonly name = 'ResponseNotFoundError';
  constructor(readonly id: string) {
    super(`Response with id '${id}' not found.`);
  }
}

export class ResponseService {
  readonly #store: ResponseStore;

  constructor(options: { store: { responses: ResponseStore } }) {
    this.#store = options.store.responses;
  }

  /** The caller's stored response; `null` for an unknown id or someone else's. */
  async get(userId: string, id: string): Promise<StoredResponse | null> {
    const record = await this.#store.get(id, userId);
    return record ? (JSON.parse(record.body) as StoredResponse) : null;
  }

  /** Like `get`, but a missing response is a `ResponseNotFoundError` (a 404 naming the id). */
  async require(userId: string, id: string): Promise<StoredResponse> {
    const found = await this.get(userId, id);
    if (!found) throw new ResponseNotFoundError(id);
    return found;
  }

  async save(userId: string, id: string, stored: StoredResponse): Promise<void> {
    await this.#store.create({ id, userId, body: JSON.stringify(stored) });
  }

  delete(userId: string, id: string): Promise<boolean> {
    return this.#store.delete(id, userId);
  }

  /** Reasoning for the client to hand back later (`include: ['reasoning.encrypted_content']`). */
  seal(userId: string, text: string): Promise<string> {
    return this.#store.sealForClient(userId, text);
  }

  /** The reasoning sealed by `seal` for this user; `null` when it is not theirs or was altered. */
  open(userId: string, sealed: string): Promise<string | null> {
    return this.#store.openForClient(userId, sealed);
  }
}
