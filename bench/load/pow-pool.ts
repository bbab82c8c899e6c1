/**
 * Solves sign-up proof-of-work challenges in worker threads so that the event loop measuring latencies
 * never blocks on hashing. Same scheme as `solvePow()` in src/core/rate-limit/pow.ts (SHA-256 of
 * `${challenge}:${nonce}` with `difficulty` leading zero bits, nonce a decimal counter); the worker
 * hashes the fixed prefix once and copies that state per nonce.
 */
import { Worker } from 'node:worker_threads';

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
function zeroBits(h) {
  let bits = 0;
  for (const b of h) { if (b === 0) { bits += 8; continue; } return bits + Math.clz32(b) - 24; }
  return bits;
}
parentPort.on('message', ({ id, challenge, difficulty }) => {
  const start = performance.now();
  const prefix = createHash('sha256').update(challenge + ':', 'utf8');
  for (let i = 0; i < 2 ** 31; i++) {
    const nonce = i.toString(10);
    if (zeroBits(prefix.copy().update(nonce, 'utf8').digest()) >= difficulty) {
      parentPort.postMessage({ id, nonce, ms: performance.now() - start });
      return;
    }
  }
  parentPort.postMessage({ id, nonce: null, ms: performance.now() - start });
});
`;

interface Job {
  id: number;
  challenge: string;
  difficulty: number;
  resolve: (nonce: string) => void;
  reject: (err: Error) => void;
}

export class PowPool {
  readonly #idle: Worker[] = [];
  readonly #all: Worker[] = [];
  readonly #queue: Job[] = [];
  readonly #busy = new Map<Worker, Job>();
  #next = 0;
  /** Solved challenges, the hashing time they took (ms, in the workers) and the difficulties seen. */
  solved = 0;
  solveMs = 0;
  readonly difficulties = new Set<number>();

  constructor(size: number) {
    for (let i = 0; i < Math.max(1, size); i++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      worker.unref();
      worker.on('message', (msg: { id: number; nonce: string | null; ms: number }) => {
        const job = this.#busy.get(worker);
        this.#busy.delete(worker);
        if (job && job.id === msg.id) {
          if (msg.nonce === null) job.reject(new Error('no proof-of-work solution found'));
          else {
            this.solved++;
            this.solveMs += msg.ms;
            this.difficulties.add(job.difficulty);
            job.resolve(msg.nonce);
          }
        }
        this.#idle.push(worker);
        this.#pump();
      });
      this.#all.push(worker);
      this.#idle.push(worker);
    }
  }

  solve(challenge: string, difficulty: number): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      this.#queue.push({ id: this.#next++, challenge, difficulty, resolve, reject });
      this.#pump();
    });
  }

  /** Rejects every challenge not yet being solved (a scenario's time is up). */
  dropQueued(): void {
    for (const job of this.#queue.splice(0)) job.reject(new Error('time is up'));
  }

  #pump(): void {
    while (this.#idle.length > 0 && this.#queue.length > 0) {
      const worker = this.#idle.pop()!;
      const job = this.#queue.shift()!;
      this.#busy.set(worker, job);
      worker.postMessage({ id: job.id, challenge: job.challenge, difficulty: job.difficulty });
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const job of this.#queue.splice(0)) job.reject(new Error('pool closed'));
    for (const job of this.#busy.values()) job.reject(new Error('pool closed'));
    await Promise.all(this.#all.map((w) => w.terminate()));
  }
}
