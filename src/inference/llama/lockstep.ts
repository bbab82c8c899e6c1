/**
 * Lockstep decoding (design §4, "batch shape"). node-llama-cpp dispatches a batch as soon as one is
 * queued, so with 4 streams the next batch starts before the last-sampled stream has queued its token and
 * batches settle at 3+1. Here every generating slot passes a barrier before each decode: the barrier opens
 * when all active, unpaused members have arrived, and they then queue in the same tick and share one batch.
 * A member still inside a decode is waited for (it arrives as soon as its token is sampled, and the native
 * context runs one decode at a time anyway); only a member that is neither waiting nor decoding, i.e. busy
 * in JavaScript or slow to resume, is given up on after a short fallback, so it never stalls the others.
 * Without that distinction, streams whose decode takes longer than the fallback (any real model: ~40 ms
 * for 1.5B on 2 cores) drift out of phase and never share a batch again.
 *
 * The same gate is where a slot whose consumer ran out of flow-control credit waits (backpressure).
 */
import type { LlamaContextSequence } from 'node-llama-cpp';

export class LockstepMember {
  /** Set while the consumer has no credit: the member waits at its next decode and is not waited for. */
  paused = false;
  private resume: (() => void) | undefined;

  /** @internal */
  waitWhilePaused(): Promise<void> | undefined {
    if (!this.paused) return undefined;
    return new Promise((resolve) => {
      this.resume = resolve;
    });
  }

  setPaused(paused: boolean, barrier: Lockstep): void {
    this.paused = paused;
    if (!paused && this.resume) {
      const resume = this.resume;
      this.resume = undefined;
      resume();
    }
    barrier.check();
  }
}

export class Lockstep {
  private readonly active = new Set<LockstepMember>();
  private readonly waiting = new Map<LockstepMember, () => void>();
  /** Members whose decode is running (between release and the end of the native call). */
  private readonly decoding = new Set<LockstepMember>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly fallbackMs: number) {}

  join(member: LockstepMember): void {
    this.active.add(member);
  }

  /** Marks `member`'s decode as running (`true`) or finished (`false`). */
  setDecoding(member: LockstepMember, running: boolean): void {
    if (running) this.decoding.add(member);
    else {
      this.decoding.delete(member);
      this.check();
    }
  }

  leave(member: LockstepMember): void {
    this.active.delete(member);
    this.decoding.delete(member);
    member.setPaused(false, this);
    const release = this.waiting.get(member);
    this.waiting.delete(member);
    release?.();
    this.check();
  }

  /** Resolves when `member` may queue its next decode. */
  async arrive(member: LockstepMember): Promise<void> {
    if (!this.active.has(member)) return;
    const paused = member.waitWhilePaused();
    if (paused) await paused;
    if (!this.active.has(member)) return;
    await new Promise<void>((resolve) => {
      this.waiting.set(member, resolve);
      this.check();
    });
  }

  /** Opens the barrier when every active, unpaused member is waiting. */
  check(): void {
    if (this.waiting.size === 0) return;
    let expected = 0;
    for (const m of this.active) if (!m.paused || this.waiting.has(m)) expected++;
    if (this.waiting.size >= expected) {
      this.release();
      return;
    }
    // A peer inside a decode will arrive right after it: wait for it without a deadline.
    const peerDecoding = [...this.decoding].some((m) => this.active.has(m) && !this.waiting.has(m));
    if (peerDecoding) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.release(), this.fallbackMs);
    }
  }

  private release(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const releases = [...this.waiting.values()];
    this.waiting.clear();
    for (const r of releases) r();
  }

  dispose(): void {
    this.release();
    this.active.clear();
  }
}

type DecodeTokens = (...args: unknown[]) => Promise<unknown>;

/**
 * Runs `gate()` before every decode of `sequence`. node-llama-cpp has no public per-sequence hook, so this
 * wraps the sequence instance's internal `_decodeTokens` (stable in the pinned 3.21.1); it fails loudly at
 * startup if that method ever disappears rather than silently losing lockstep and backpressure.
 */
export function gateSequenceDecodes(
  sequence: LlamaContextSequence,
  gate: () => Promise<void>,
  onDecoding: (running: boolean) => void = () => {},
): void {
  const target = sequence as unknown as { _decodeTokens?: DecodeTokens };
  const original = target._decodeTokens;
  if (typeof original !== 'function') {
    throw new Error('node-llama-cpp internals changed: LlamaContextSequence._decodeTokens not found');
  }
  target._decodeTokens = async function gatedDecodeTokens(this: unknown, ...args: unknown[]) {
    await gate();
    onDecoding(true);
    try {
      return await original.apply(this, args);
    } finally {
      onDecoding(false);
    }
  };
}
