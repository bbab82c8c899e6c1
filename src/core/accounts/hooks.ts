/**
 * Listeners other parts of core register for account events (e.g. the chat service cancels a deleted
 * user's running generations). Listeners run in registration order; one failing does not stop the rest.
 */

export type UserDeletedListener = (userId: string) => void | Promise<void>;

export class AccountHooks {
  readonly #userDeleted: UserDeletedListener[] = [];

  /** Returns a function that removes the listener. */
  onUserDeleted(listener: UserDeletedListener): () => void {
    this.#userDeleted.push(listener);
    return () => {
      const i = this.#userDeleted.indexOf(listener);
      if (i >= 0) this.#userDeleted.splice(i, 1);
    };
  }

  /** Runs every listener; returns the errors they threw (the caller logs them). */
  async emitUserDeleted(userId: string): Promise<unknown[]> {
    const errors: unknown[] = [];
    for (const listener of this.#userDeleted) {
      try {
        await listener(userId);
      } catch (err) {
        errors.push(err);
      }
    }
    return errors;
  }
}
