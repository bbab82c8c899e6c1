/** Queue position and ETA updates to waiters (internals of the controller). */
import type { QueueUpdate } from './types.ts';
import type { Waiter } from './waiter.ts';

/** Sends each waiter its new position in `ordered` (service order), and its ETA when it moved enough. */
export function publishPositions(
  ordered: readonly Waiter[],
  etaMs: (position: number) => number | undefined,
): void {
  for (let i = 0; i < ordered.length; i++) {
    const w = ordered[i]!;
    const position = i + 1;
    const eta = etaMs(position);
    if (position === w.position && !etaMoved(w.etaMs, eta)) continue;
    w.position = position;
    w.etaMs = eta;
    const update: QueueUpdate =
      eta === undefined ? { type: 'queued', position } : { type: 'queued', position, etaMs: eta };
    w.channel.push(update);
    if (w.onQueued) {
      try {
        w.onQueued(update);
      } catch {
        // A failing listener must not stop the others' updates.
      }
    }
  }
}

/** A new ETA is worth sending when it appears, or moves by more than a second and a fifth. */
function etaMoved(before: number | undefined, after: number | undefined): boolean {
  if (before === undefined || after === undefined) return before !== after;
  return Math.abs(after - before) > Math.max(1000, before / 5);
}
