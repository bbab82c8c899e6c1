import { type Algorithm, hash, verify } from '@node-rs/argon2';
import { AccountError } from './errors.ts';

/** OWASP's argon2id baseline: m=19456 KiB, t=2, p=1 (design §6). */
export const ARGON2_OPTIONS = {
  // `Algorithm.Argon2id`; the enum is a `const enum`, which isolated modules cannot read.
  algorithm: 2 as Algorithm,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

export interface PasswordHasherOptions {
  /** Hashes computed at once. Default 2: each holds ~19 MB and a libuv thread for ~15–50 ms. */
  maxConcurrent?: number;
  /** Callers allowed to wait for a turn; beyond that `overloaded` is thrown at once. Default 32. */
  maxQueue?: number;
  /** Retry-After hint when overloaded. Default 1 s. */
  retryAfterSeconds?: number;
  /** argon2id time cost (passes over memory). Default 2, OWASP's baseline; raise it to spend more CPU per hash. */
  timeCost?: number;
}

/**
 * argon2id behind a bounded pool, so a sign-up or login flood queues a few hashes and sheds the rest
 * instead of occupying every libuv thread (which file I/O and the database also need).
 */
export class PasswordHasher {
  readonly #maxConcurrent: number;
  readonly #maxQueue: number;
  readonly #retryAfterSeconds: number;
  #running = 0;
  readonly #waiting: Array<() => void> = [];
  #dummyHash: Promise<string> | undefined;
  readonly #argon2: Omit<typeof ARGON2_OPTIONS, 'timeCost'> & { timeCost: number };

  constructor(options: PasswordHasherOptions = {}) {
    this.#maxConcurrent = options.maxConcurrent ?? 2;
    this.#maxQueue = options.maxQueue ?? 32;
    this.#retryAfterSeconds = options.retryAfterSeconds ?? 1;
    this.#argon2 = { ...ARGON2_OPTIONS, timeCost: options.timeCost ?? ARGON2_OPTIONS.timeCost };
  }

  hash(password: string): Promise<string> {
    return this.#run(() => hash(password, this.#argon2));
  }

  /** False for a wrong password or a malformed hash. */
  verify(passwordHash: string, password: string): Promise<boolean> {
    return this.#run(async () => {
      try {
        return await verify(passwordHash, password);
      } catch {
        return false;
      }
    });
  }

  /** Spends the same work as `verify` for an unknown account, so timing does not reveal which emails exist. */
  async verifyDummy(password: string): Promise<false> {
    this.#dummyHash ??= hash('ponder-dummy-password-for-timing', this.#argon2);
    await this.verify(await this.#dummyHash, password);
    return false;
  }

  async #run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#maxConcurrent) {
      if (this.#waiting.length >= this.#maxQueue) {
        throw new AccountError('overloaded', 'The server is busy; please retry in a moment.', {
          retryAfterSeconds: this.#retryAfterSeconds,
        });
      }
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await work();
    } finally {
      const next = this.#waiting.shift();
      // The slot passes straight to the next waiter, so `#running` stays the same.
      if (next) next();
      else this.#running--;
    }
  }
}
